// Package undersigned holds the files compiled into the binary: the page and
// mail templates and the static assets, so one binary is the whole app.
package undersigned

import (
	"embed"
	"io/fs"
)

//go:embed templates static
var files embed.FS

// Files is the embedded tree, with templates/ and static/ at its root.
func Files() fs.FS { return files }
