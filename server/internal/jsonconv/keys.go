package jsonconv

import (
	"maps"
	"slices"
)

// keyTable finds the field a JSON key names, for the reader's hot loop: an open-addressing table
// keyed by a cheap hash of the key's length and three of its bytes, with a seed chosen when the
// table is built so that keys rarely share a slot. A lookup compares at most a few keys and
// allocates nothing.
type keyTable struct {
	slots []keySlot
	shift uint32 // 32 minus the table's size in bits
	seed  uint32
}

type keySlot struct {
	key string
	fp  *fieldPlan // nil for an empty slot
}

// maxKeySeeds bounds the seeds tried when building a table.
const maxKeySeeds = 64

// newKeyTable builds a table of fields, at most half full, with the seed that makes its lookups
// compare the fewest keys.
func newKeyTable(fields map[string]*fieldPlan) keyTable {
	if len(fields) == 0 {
		return keyTable{}
	}
	size, sizeBits := 8, uint32(3)
	for size < 2*len(fields) {
		size, sizeBits = size*2, sizeBits+1
	}
	keys := slices.Sorted(maps.Keys(fields)) // the same table every time
	var best keyTable
	bestProbes := -1
	for seed := range uint32(maxKeySeeds) {
		t := keyTable{slots: make([]keySlot, size), shift: 32 - sizeBits, seed: seed}
		probes := 0
		for _, key := range keys {
			probes += t.insert(key, fields[key])
		}
		if bestProbes < 0 || probes < bestProbes {
			best, bestProbes = t, probes
		}
		if probes == len(fields) {
			break // every key in its own slot
		}
	}
	return best
}

// insert puts key in the first free slot from its hash's and returns how many slots it tried.
func (t *keyTable) insert(key string, fp *fieldPlan) int {
	mask := uint32(len(t.slots) - 1)
	i := keyHash(key, t.seed) >> t.shift
	for probes := 1; ; probes++ {
		if t.slots[i].fp == nil {
			t.slots[i] = keySlot{key: key, fp: fp}
			return probes
		}
		i = (i + 1) & mask
	}
}

// lookup returns the field key names, or nil.
func (t *keyTable) lookup(key []byte) *fieldPlan {
	if len(t.slots) == 0 {
		return nil
	}
	mask := uint32(len(t.slots) - 1)
	for i := keyHash(key, t.seed) >> t.shift; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.fp == nil || s.key == string(key) {
			return s.fp
		}
	}
}

// keyHash mixes a key's length, first, middle and last bytes and seed into 32 bits; the table
// uses the top bits.
func keyHash[K ~string | ~[]byte](key K, seed uint32) uint32 {
	h := uint32(len(key)) ^ seed<<24
	if n := len(key); n > 0 {
		h ^= uint32(key[0])<<8 | uint32(key[n/2])<<16 | uint32(key[n-1])<<24
	}
	h *= 0x9e3779b1
	h ^= h >> 15
	h *= 0x85ebca77
	return h ^ h>>13
}
