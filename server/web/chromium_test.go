package web

import (
	"bytes"
	"context"
	"flag"
	"image"
	"image/draw"
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
	// Without a session bus chromium waits for one; the machine has none.
	cmd.Env = append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS=disabled:")
	cmd.WaitDelay = 5 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, errb.String())
	}
	return out.Bytes()
}

// shoot writes a screenshot of url to file and decodes it.
func shoot(t *testing.T, url, file string, extra ...string) *image.RGBA {
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
	rgba := image.NewRGBA(img.Bounds())
	draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Src)
	return rgba
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
func pixels(img *image.RGBA, y0, y1 int, c rgb) (near, distinct, ink int) {
	seen := map[uint32]bool{}
	bg := rgb{0xf6, 0xf7, 0xf9}
	b := img.Bounds()
	for y := max(y0, b.Min.Y); y < min(y1, b.Max.Y); y++ {
		row := img.Pix[img.PixOffset(b.Min.X, y) : img.PixOffset(b.Max.X-1, y)+4]
		for i := 0; i < len(row); i += 4 {
			p := rgb{int(row[i]), int(row[i+1]), int(row[i+2])}
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

// TestChromium renders the pages in headless chromium, each run in
// parallel (a launch mostly waits):
//   - screenshots of the status page and of a mirror page of the
//     50-mirror fleet: PNGs of the window's size that show the table's
//     state colours, the history strips and the propagation curve, with
//     content in every band of the page rather than a blank or an error;
//   - the DOM chromium built: tables with header cells, the SVG charts and
//     the headings;
//   - the DOM of the hostile fleet's pages: its markup became text, never
//     elements or attributes.
func TestChromium(t *testing.T) {
	testtool.Require(t, "chromium")
	snap := fleet(statustest.Options{})
	srv := httptest.NewServer(testMux(t, hubOf(snap)))
	t.Cleanup(srv.Close)
	hsnap := fleet(statustest.Options{Hostile: true})
	hsrv := httptest.NewServer(testMux(t, hubOf(hsnap)))
	t.Cleanup(hsrv.Close)
	dir := t.TempDir()

	t.Run("screenshot/index", func(t *testing.T) {
		t.Parallel()
		img := shoot(t, srv.URL+"/", filepath.Join(dir, "index.png"))
		if b := img.Bounds(); b.Dx() != shotW || b.Dy() != shotH {
			t.Fatalf("screenshot is %dx%d, want %dx%d", b.Dx(), b.Dy(), shotW, shotH)
		}
		if _, distinct, _ := pixels(img, 0, shotH, rgb{}); distinct < 200 {
			t.Errorf("%d distinct colours: the page looks blank", distinct)
		}
		// The signal header, the publishes, then the mirrors table: every
		// band has content.
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
	})
	t.Run("screenshot/mirror", func(t *testing.T) {
		t.Parallel()
		img := shoot(t, srv.URL+mirrorHref(snap.Mirrors[4].Name), filepath.Join(dir, "mirror.png"))
		if b := img.Bounds(); b.Dx() != shotW || b.Dy() != shotH {
			t.Fatalf("mirror screenshot is %dx%d", b.Dx(), b.Dy())
		}
		if _, d, ink := pixels(img, 0, 1200, rgb{}); d < 100 || ink < 20000 {
			t.Errorf("%d colours, %d inked pixels in its top: looks blank", d, ink)
		}
		// Mirror 4 is behind: its 30-day lag charts have behind-coloured bars.
		if n, _, _ := pixels(img, 0, shotH, rgb{0xdc, 0xa1, 0x00}); n < 300 {
			t.Errorf("%d pixels of lag bars, want ≥ 300", n)
		}
	})
	// The DOM checks run on the hostile fleet: its pages must have the
	// whole structure, and its markup must have become text.
	t.Run("dom/index", func(t *testing.T) {
		t.Parallel()
		dom := hostileDOM(t, hsrv.URL+"/")
		for what, want := range map[string]int{
			`<table class="data mirrors"`: 1, `<th scope="col"`: 15, `<th scope="row"`: 50, `<svg class="strip"`: 50,
			`<svg class="chart curve"`: 2, "<h1": 1, "<h2": 3, "<h3": 2, "<caption": 3, `<html lang="en"`: 1,
		} {
			if n := strings.Count(dom, what); n < want {
				t.Errorf("%d × %s, want ≥ %d", n, what, want)
			}
		}
	})
	t.Run("dom/mirror", func(t *testing.T) {
		t.Parallel()
		dom := hostileDOM(t, hsrv.URL+mirrorHref(hsnap.Mirrors[2].Name))
		for _, want := range []string{`<svg class="chart lag"`, "<h1", "<h2", `<th scope="col"`, "<caption", "<title>"} {
			if !strings.Contains(dom, want) {
				t.Errorf("the DOM lacks %s", want)
			}
		}
	})
}

// hostileDOM returns the DOM chromium built from url, a page of the
// hostile fleet, after checking that no hostile markup became elements
// or attributes, and that the markup shows as text.
func hostileDOM(t *testing.T, url string) string {
	t.Helper()
	dom := string(chromium(t, "--dump-dom", url))
	if !strings.Contains(dom, "<main>") {
		t.Fatalf("no page in the DOM:\n%.300s", dom)
	}
	if strings.Contains(dom, "<script") || strings.Contains(dom, "<svg onload") {
		t.Error("the DOM holds hostile markup as elements")
	}
	if a := handlerAttrs(dom); len(a) != 0 {
		t.Errorf("the DOM holds event handler attributes %q", a)
	}
	if !strings.Contains(dom, "&lt;/title&gt;&lt;svg onload=alert(1)&gt;") {
		t.Error("the hostile name is not shown as text")
	}
	return dom
}

// TestScreenshot renders the four pages a human looks at (the status
// page, a mirror, an event, the status page in dark mode) and checks the
// event page is drawn and dark mode is darker. With -screenshot it keeps
// them for a human:
//
//	go test ./server/web -run TestScreenshot -screenshot=/tmp/status.png
func TestScreenshot(t *testing.T) {
	testtool.Require(t, "chromium")
	file := *screenshot
	if file == "" {
		file = filepath.Join(t.TempDir(), "status.png")
	}
	snap := fleet(statustest.Options{})
	srv := httptest.NewServer(testMux(t, hubOf(snap)))
	defer srv.Close()
	stem := strings.TrimSuffix(file, ".png")
	light := shoot(t, srv.URL+"/", file)
	shoot(t, srv.URL+mirrorHref(snap.Mirrors[4].Name), stem+"-mirror.png")
	event := shoot(t, srv.URL+"/events/"+snap.Events[0].ID, stem+"-event.png")
	dark := shoot(t, srv.URL+"/", stem+"-dark.png", "--force-dark-mode", "--blink-settings=preferredColorScheme=0")
	if n := colours(event); n < 20 {
		t.Errorf("the event page shows %d colours: not drawn", n)
	}
	if l, d := meanLuma(light), meanLuma(dark); d > l/2 {
		t.Errorf("dark mode's mean luminance %.0f is not well below light mode's %.0f", d, l)
	}
	if *screenshot != "" {
		t.Logf("wrote %s, %s-mirror.png, %s-event.png, %s-dark.png", file, stem, stem, stem)
	}
}

// colours counts the distinct colours of img.
func colours(img *image.RGBA) int {
	seen := map[[3]uint8]bool{}
	for i := 0; i+3 < len(img.Pix); i += 4 {
		seen[[3]uint8{img.Pix[i], img.Pix[i+1], img.Pix[i+2]}] = true
	}
	return len(seen)
}

// meanLuma is img's mean luminance, 0–255.
func meanLuma(img *image.RGBA) float64 {
	var sum float64
	n := 0
	for i := 0; i+3 < len(img.Pix); i += 4 {
		sum += 0.299*float64(img.Pix[i]) + 0.587*float64(img.Pix[i+1]) + 0.114*float64(img.Pix[i+2])
		n++
	}
	return sum / float64(max(n, 1))
}
