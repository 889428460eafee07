// Package migrations embeds the ordered SQL migrations (goose format): roles,
// tables, row-level security policies, grants and indexes.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS
