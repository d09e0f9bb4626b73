// Package content embeds the verified legal content (statutes, complaint
// channels, crisis-safety words) so the bot runs with no files beside it.
// CONTENT_DIR points the bot at a folder on disk instead.
package content

import "embed"

// FS holds the content files.
//
//go:embed *.yaml
var FS embed.FS
