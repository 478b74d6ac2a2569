package adminclient

import (
	"strings"
	"testing"

	"github.com/mirrorsignal/mirrorsignal/server/api/apiv1"
)

func TestFormatPublish(t *testing.T) {
	tests := []struct {
		name string
		in   apiv1.PublishResponse
		want string
	}{
		{"published", okResponse,
			"published content at 1795440000 (2026-11-23T13:20:00Z), was 0; serial 1795448410, event 1\nsignal now \"1795440000:0:0\"\n"},
		{"second tree", apiv1.PublishResponse{Tree: "vault", Stamp: 1795000000, Serial: 1795448411, Event: 2, Record: "1795440000:0:1795000000"},
			"published vault at 1795000000 (2026-11-18T11:06:40Z), was 0; serial 1795448411, event 2\nsignal now \"1795440000:0:1795000000\"\n"},
		{"unchanged", apiv1.PublishResponse{Tree: "content", Stamp: 1795440000, Previous: 1795440000, Serial: 1795448410, Unchanged: true, Record: "1795440000:0:0"},
			"content already at 1795440000 (2026-11-23T13:20:00Z); nothing changed, serial 1795448410\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			FormatPublish(&b, tt.in)
			if b.String() != tt.want {
				t.Errorf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
}
