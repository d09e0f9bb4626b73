// Package flows embeds the conversation flows (YAML) so the bot runs with no
// files beside it. FLOWS_DIR points the bot at a folder on disk instead.
package flows

import "embed"

// FS holds the flow files.
//
//go:embed *.yaml
var FS embed.FS
