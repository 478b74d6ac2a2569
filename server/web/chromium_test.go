package web

import (
	"bytes"
	"context"
	"flag"
	"image"
	"image/png"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mirrorsignal/mirrorsignal/server/status/statustest"
	"github.com/mirrorsignal/mirrorsignal/signal/testtool"
)

var screenshot = flag.String("screenshot", "", "TestScreenshot writes the status page's PNG here (and -mirror.png, -event.png, -dark.png beside it)")

// Window of the screenshots.
const shotW, shotH = 1400, 3000

// chromium runs headless chromium with the flags TESTING.md gives, plus
// args, and returns its standard output.
func chromium(t *testing.T, args ...string) []byte {
	t.Helper()
	bin := testtool.Path(t, "chromium")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	cmd.WaitDelay = 5 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, errb.String())
	}
	return out.Bytes()
}

// shoot writes a screenshot of url to file and decodes it.
func shoot(t *testing.T, url, file string, extra ...string) image.Image {
	t.Helper()
	args := append([]string{"--hide-scrollbars", "--screenshot=" + file, "--window-size=1400,3000"}, extra...)
	chromium(t, append(args, url)...)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("%s is not a PNG", file)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode %s: %v", file, err)
	}
	return img
}

// rgb is a colour of the stylesheet.
type rgb struct{ r, g, b int }

// Light-theme colours the pages must show (status.css).
var (
	freshBg  = rgb{0xe2, 0xf4, 0xe6} // a fresh cell
	freshBar = rgb{0x2f, 0x9a, 0x50} // a fresh day in a strip
	behindBg = rgb{0xff, 0xf1, 0xcc} // a cell behind
	accent   = rgb{0x25, 0x63, 0xc9} // the propagation curve
	unreachB = rgb{0xfb, 0xdc, 0xdc} // an unreachable cell
)

// pixels counts, in rows [y0, y1), the pixels near c, and the distinct
// colours and the pixels unlike the page background.
func pixels(img image.Image, y0, y1 int, c rgb) (near, distinct, ink int) {
	seen := map[uint32]bool{}
	bg := rgb{0xf6, 0xf7, 0xf9}
	b := img.Bounds()
	for y := max(y0, b.Min.Y); y < min(y1, b.Max.Y); y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			p := rgb{int(r >> 8), int(g >> 8), int(bl >> 8)}
			seen[uint32(p.r)<<16|uint32(p.g)<<8|uint32(p.b)] = true
			if close(p, c, 6) {
				near++
			}
			if !close(p, bg, 3) && !close(p, rgb{255, 255, 255}, 3) {
				ink++
			}
		}
	}
	return near, len(seen), ink
}

func close(a, b rgb, tol int) bool {
	d := func(x, y int) bool { return x-y <= tol && y-x <= tol }
	return d(a.r, b.r) && d(a.g, b.g) && d(a.b, b.b)
}

// TestChromiumScreenshots renders the pages of the 50-mirror fleet in
// headless chromium: the PNGs are the window's size and show the table's
// state colours, the history strips and the propagation curve, in every
// band of the page rather than a blank or an error page.
func TestChromiumScreenshots(t *testing.T) {
	testtool.Require(t, "chromium")
	snap := fleet(statustest.Options{})
	srv := httptest.NewServer(testMux(t, hubOf(snap)))
	defer srv.Close()
	dir := t.TempDir()

	img := shoot(t, srv.URL+"/", filepath.Join(dir, "index.png"))
	if b := img.Bounds(); b.Dx() != shotW || b.Dy() != shotH {
		t.Fatalf("screenshot is %dx%d, want %dx%d", b.Dx(), b.Dy(), shotW, shotH)
	}
	_, distinct, _ := pixels(img, 0, shotH, rgb{})
	if distinct < 200 {
		t.Errorf("%d distinct colours: the page looks blank", distinct)
	}
	// The header and the top of the table, then the table's body, then
	// the events below it: every band has content.
	for _, band := range [][2]int{{0, 400}, {400, 1200}, {1200, 2000}, {2000, 2600}} {
		if _, d, ink := pixels(img, band[0], band[1], rgb{}); d < 40 || ink < 5000 {
			t.Errorf("rows %v: %d colours, %d inked pixels: empty band", band, d, ink)
		}
	}
	for name, c := range map[string]rgb{"fresh cells": freshBg, "fresh history days": freshBar,
		"cells behind": behindBg, "unreachable cells": unreachB, "the propagation curve": accent} {
		if n, _, _ := pixels(img, 0, shotH, c); n < 150 {
			t.Errorf("%s: %d pixels of their colour, want ≥ 150", name, n)
		}
	}

	mimg := shoot(t, srv.URL+mirrorHref(snap.Mirrors[4].Name), filepath.Join(dir, "mirror.png"))
	if b := mimg.Bounds(); b.Dx() != shotW || b.Dy() != shotH {
		t.Fatalf("mirror screenshot is %dx%d", b.Dx(), b.Dy())
	}
	if _, d, ink := pixels(mimg, 0, 1200, rgb{}); d < 100 || ink < 20000 {
		t.Errorf("mirror page: %d colours, %d inked pixels in its top: looks blank", d, ink)
	}
	// Mirror 4 is behind: its 30-day lag chart has behind-coloured bars.
	if n, _, _ := pixels(mimg, 0, shotH, rgb{0xdc, 0xa1, 0x00}); n < 300 {
		t.Errorf("mirror page: %d pixels of lag bars, want ≥ 300", n)
	}
}

// TestChromiumDOM checks the DOM chromium built from the pages: tables with
// header cells, the SVG charts and the headings; and that the hostile
// fixture's markup became text, never elements or attributes.
func TestChromiumDOM(t *testing.T) {
	testtool.Require(t, "chromium")
	snap := fleet(statustest.Options{})
	srv := httptest.NewServer(testMux(t, hubOf(snap)))
	defer srv.Close()

	dom := string(chromium(t, "--dump-dom", srv.URL+"/"))
	for what, want := range map[string]int{
		`<table class="data mirrors"`: 1, `<th scope="col"`: 15, `<th scope="row"`: 50, `<svg class="strip"`: 50,
		`<svg class="chart curve"`: 2, "<h1": 1, "<h2": 3, "<h3": 2, "<caption": 3, `<html lang="en"`: 1,
	} {
		if n := strings.Count(dom, what); n < want {
			t.Errorf("DOM of /: %d × %s, want ≥ %d", n, what, want)
		}
	}
	mdom := string(chromium(t, "--dump-dom", srv.URL+mirrorHref(snap.Mirrors[4].Name)))
	for _, want := range []string{`<svg class="chart lag"`, "<h1", "<h2", `<th scope="col"`, "<caption", "<title>"} {
		if !strings.Contains(mdom, want) {
			t.Errorf("DOM of the mirror page lacks %s", want)
		}
	}

	hsnap := fleet(statustest.Options{Hostile: true})
	hsrv := httptest.NewServer(testMux(t, hubOf(hsnap)))
	defer hsrv.Close()
	for _, path := range []string{"/", mirrorHref(hsnap.Mirrors[0].Name), mirrorHref(hsnap.Mirrors[2].Name)} {
		dom := string(chromium(t, "--dump-dom", hsrv.URL+path))
		if !strings.Contains(dom, "<main>") {
			t.Fatalf("%s: no page in the DOM:\n%.300s", path, dom)
		}
		for _, bad := range []string{"<script", " onload=", "<svg onload"} {
			if strings.Contains(dom, bad) {
				t.Errorf("%s: the DOM holds %q: hostile markup became markup", path, bad)
			}
		}
		if !strings.Contains(dom, "&lt;script&gt;alert") && path == "/" {
			t.Errorf("%s: the hostile name is not shown as text", path)
		}
	}
}

// TestScreenshot writes screenshots for a human when -screenshot is set:
//
//	go test ./server/web -run TestScreenshot -screenshot=/tmp/status.png
func TestScreenshot(t *testing.T) {
	if *screenshot == "" {
		t.Skip("set -screenshot=FILE.png to write the status page's screenshot")
	}
	testtool.Require(t, "chromium")
	snap := fleet(statustest.Options{})
	srv := httptest.NewServer(testMux(t, hubOf(snap)))
	defer srv.Close()
	stem := strings.TrimSuffix(*screenshot, ".png")
	shoot(t, srv.URL+"/", *screenshot)
	shoot(t, srv.URL+mirrorHref(snap.Mirrors[4].Name), stem+"-mirror.png")
	shoot(t, srv.URL+"/events/"+snap.Events[0].ID, stem+"-event.png")
	shoot(t, srv.URL+"/", stem+"-dark.png", "--force-dark-mode", "--blink-settings=preferredColorScheme=0")
	t.Logf("wrote %s, %s-mirror.png, %s-event.png, %s-dark.png", *screenshot, stem, stem, stem)
}
