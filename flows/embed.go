// Package flows embeds the conversation flows (YAML) so the bot runs with no
// files beside it. FLOWS_DIR points the bot at a folder on disk instead.
package flows

import (
	"embed"

	"github.com/anning-bot/anning/bot/draft"
	"github.com/anning-bot/anning/bot/flow"
	"github.com/anning-bot/anning/bot/legal"
	"github.com/anning-bot/anning/content"
)

// FS holds the flow files.
//
//go:embed *.yaml
var FS embed.FS

// Builtin loads the embedded flows over the embedded content, with the same
// checks as the bot (draft templates included).
func Builtin() (*flow.Set, error) {
	lib, err := legal.Load(content.FS)
	if err != nil {
		return nil, err
	}
	tpl, err := draft.LoadTemplates(content.FS, lib)
	if err != nil {
		return nil, err
	}
	return flow.LoadWith(FS, lib, tpl.Checks())
}
