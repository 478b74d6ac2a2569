package status

import "strconv"

// Mirror returns the mirror called name.
func (s *Snapshot) Mirror(name string) (*Mirror, bool) {
	for i := range s.Mirrors {
		if s.Mirrors[i].Name == name {
			return &s.Mirrors[i], true
		}
	}
	return nil, false
}

// Event returns the event with id.
func (s *Snapshot) Event(id string) (*Event, bool) {
	for i := range s.Events {
		if s.Events[i].ID == id {
			return &s.Events[i], true
		}
	}
	return nil, false
}

// Tree returns the tree called name.
func (s *Snapshot) Tree(name string) (*Tree, bool) {
	for i := range s.Trees {
		if s.Trees[i].Name == name {
			return &s.Trees[i], true
		}
	}
	return nil, false
}

// Repo returns the repo called name for arch.
func (s *Snapshot) Repo(name, arch string) (*Repo, bool) {
	for i := range s.Repos {
		if s.Repos[i].Name == name && s.Repos[i].Arch == arch {
			return &s.Repos[i], true
		}
	}
	return nil, false
}

// Tree returns the mirror's state for tree.
func (m *Mirror) Tree(tree string) (*MirrorTree, bool) {
	for i := range m.Trees {
		if m.Trees[i].Tree == tree {
			return &m.Trees[i], true
		}
	}
	return nil, false
}

// EventID is the id of the publish of tree at stamp.
func EventID(tree string, stamp int64) string {
	return tree + "-" + strconv.FormatInt(stamp, 10)
}
