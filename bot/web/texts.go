package web

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"reflect"

	"gopkg.in/yaml.v3"
)

// TextsFile is the file in the content folder with the page's own words.
const TextsFile = "web.yaml"

// Texts are the page's own words (the conversation comes from the flows).
type Texts struct {
	Title           string `yaml:"title"`
	Heading         string `yaml:"heading"`
	Tagline         string `yaml:"tagline"`
	Menu            string `yaml:"menu"`
	Privacy         string `yaml:"privacy"`
	Delete          string `yaml:"delete"`
	Placeholder     string `yaml:"placeholder"`
	Send            string `yaml:"send"`
	Attach          string `yaml:"attach"`
	Camera          string `yaml:"camera"`
	AttachHint      string `yaml:"attach_hint"`
	Upload          string `yaml:"upload"`
	Sending         string `yaml:"sending"`
	Refresh         string `yaml:"refresh"`
	Download        string `yaml:"download"`
	You             string `yaml:"you"`
	Bot             string `yaml:"bot"`
	Citation        string `yaml:"citation"`
	Channel         string `yaml:"channel"`
	Crisis          string `yaml:"crisis"`
	DeleteAsk       string `yaml:"delete_ask"`
	DeleteYes       string `yaml:"delete_yes"`
	DeleteNo        string `yaml:"delete_no"`
	Erased          string `yaml:"erased"`
	Restart         string `yaml:"restart"`
	FileGone        string `yaml:"file_gone"`
	TooFast         string `yaml:"too_fast"`
	TooManySessions string `yaml:"too_many_sessions"`
	Expired         string `yaml:"expired"`
	TooLarge        string `yaml:"too_large"`
	TooLong         string `yaml:"too_long"`
	UploadFailed    string `yaml:"upload_failed"`
	Busy            string `yaml:"busy"`
	SentFiles       string `yaml:"sent_files"`
	NoScript        string `yaml:"no_script"`
}

// LoadTexts reads web.yaml from the content folder; every text is required.
func LoadTexts(fsys fs.FS) (Texts, error) {
	var t Texts
	data, err := fs.ReadFile(fsys, TextsFile)
	if err != nil {
		return t, fmt.Errorf("web: %s: cannot read: %w", TextsFile, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&t); err != nil {
		return t, fmt.Errorf("web: %s: %w (hint: every key is a plain text, see the shipped content/web.yaml)", TextsFile, err)
	}
	var errs []error
	v, typ := reflect.ValueOf(t), reflect.TypeOf(t)
	for i := range typ.NumField() {
		if v.Field(i).String() == "" {
			errs = append(errs, fmt.Errorf("web: %s: missing text %q", TextsFile, typ.Field(i).Tag.Get("yaml")))
		}
	}
	return t, errors.Join(errs...)
}
