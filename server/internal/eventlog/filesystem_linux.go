package eventlog

import "golang.org/x/sys/unix"

// fileSystemOf describes the file system that holds dir.
func fileSystemOf(dir string) (fileSystem, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return fileSystem{}, err
	}
	return fileSystem{
		known:    true,
		size:     st.Blocks * uint64(st.Bsize),
		free:     st.Bavail * uint64(st.Bsize),
		readOnly: uint64(st.Flags)&unix.ST_RDONLY != 0,
	}, nil
}
