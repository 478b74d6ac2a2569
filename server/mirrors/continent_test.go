package mirrors

import "testing"

func TestContinent(t *testing.T) {
	tests := []struct {
		country, want string
	}{
		{"DE", Europe}, {"US", NorthAmerica}, {"BR", SouthAmerica}, {"JP", Asia},
		{"AU", Oceania}, {"ZA", Africa}, {"AQ", Antarctica}, {"RU", Europe},
		{"TR", Asia}, {"EG", Africa}, {"PA", NorthAmerica}, {"XK", Europe},
		{"de", ""}, {"UK", ""}, {"EU", ""}, {"", ""}, {"DEU", ""},
	}
	for _, tt := range tests {
		t.Run(tt.country, func(t *testing.T) {
			got, ok := Continent(tt.country)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("Continent(%q) = %q %v, want %q", tt.country, got, ok, tt.want)
			}
		})
	}
}

// TestContinentTable: the 249 assigned ISO 3166-1 alpha-2 codes and XK,
// each two upper-case letters mapped to one of the seven continents.
func TestContinentTable(t *testing.T) {
	if len(continents) != 250 {
		t.Errorf("%d codes, want 249 + XK", len(continents))
	}
	for cc, c := range continents {
		if len(cc) != 2 || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z' || !validContinent(c) {
			t.Errorf("%q → %q", cc, c)
		}
	}
}
