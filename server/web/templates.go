package web

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageNames are the pages; each is templates/<name>.html with the layout.
var pageNames = []string{"index", "mirror", "event"}

// pages are the parsed templates, one set per page.
type pages struct {
	sets map[string]*template.Template
}

func funcs(title string) template.FuncMap {
	return template.FuncMap{
		"site":    func() string { return title },
		"utc":     utc,
		"iso":     isoTime,
		"ago":     ago,
		"since":   func(now, t time.Time) string { return span(now.Sub(t)) },
		"epoch":   epochTime,
		"lag":     lag,
		"pct":     percent,
		"after":   after,
		"state":   lookOf,
		"probeAt": func(p probeRow, now time.Time) probeCtx { return probeCtx{P: p, Now: now} },
		"join":    strings.Join,
		"add":     func(a, b float64) float64 { return a + b },
		"sub":     func(a, b float64) float64 { return a - b },
		"soon": func(now, t time.Time) bool {
			return !t.IsZero() && t.Sub(now) < expiryWarning
		},
	}
}

func mustParse(title string) *pages {
	p, err := parse(title)
	if err != nil {
		panic(err)
	}
	return p
}

func parse(title string) (*pages, error) {
	p := &pages{sets: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs(title)).ParseFS(templateFS, "templates/layout.html",
			"templates/parts.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", name, err)
		}
		p.sets[name] = t
	}
	return p, nil
}

// execute renders page name with data into a buffer, so a failure never
// leaves half a page on the wire.
func (p *pages) execute(name string, data any) ([]byte, error) {
	var b bytes.Buffer
	if err := p.sets[name].ExecuteTemplate(&b, "layout", data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

var errNoAsset = errors.New("no such asset")

// asset returns an embedded static file and its content type.
func asset(name string) ([]byte, string, error) {
	if !fs.ValidPath(name) || strings.Contains(name, "/") {
		return nil, "", errNoAsset
	}
	body, err := staticFS.ReadFile("static/" + name)
	if err != nil {
		return nil, "", errNoAsset
	}
	switch path.Ext(name) {
	case ".css":
		return body, "text/css; charset=utf-8", nil
	case ".svg":
		return body, "image/svg+xml", nil
	}
	return body, "application/octet-stream", nil
}

// probeCtx hands a probe row and the clock to the "probe" template.
type probeCtx struct {
	P   probeRow
	Now time.Time
}
