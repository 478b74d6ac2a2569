package sim

// Scenario is one network and the strategies compared on it.
type Scenario struct {
	Name       string
	Config     Config
	Strategies []Strategy
}

// Outcome is a scenario's runs, in the order of its strategies.
type Outcome struct {
	Name        string
	Config      Config
	Tiers       [3]int // mirrors in tiers 1, 2, 3
	MaxChildren int    // the most mirrors configured under one upstream
	Down        int
	Results     []Result
}

// Run builds the scenario's network once and runs every strategy on it.
func (s Scenario) Run() (Outcome, error) {
	if err := s.Config.Validate(); err != nil {
		return Outcome{}, err
	}
	t := BuildTopology(s.Config)
	o := Outcome{Name: s.Name, Config: s.Config, Tiers: t.TierCounts(), MaxChildren: t.MaxChildren(), Down: t.Down()}
	for i, st := range s.Strategies {
		r, err := Run(s.Config, t, st, uint64(i))
		if err != nil {
			return Outcome{}, err
		}
		o.Results = append(o.Results, r)
	}
	return o, nil
}
