package refdocs

import (
	"fmt"

	"github.com/hooknorm/hooknorm/server/internal/config"
)

// renderFlags lists every flag of hooknormd, with its variable, its default and what it sets, from
// the flag set hooknormd itself parses.
func renderFlags(*protoSource) (string, error) {
	settings := config.Settings()
	t := newTable("Flag", "Variable", "Default", "What it sets")
	for _, s := range settings {
		variable, value := "—", "(empty)"
		switch {
		case s.Env == "": // --version, a command rather than a setting
			value = "—"
		case s.Default != "":
			variable, value = code(s.Env), code(s.Default)
		default:
			variable = code(s.Env)
		}
		t.row(code("--"+s.Flag), variable, value, s.Usage)
	}
	return fmt.Sprintf("%s\n%d flags. `hooknormd --help` prints the same list.\n", t, len(settings)), nil
}
