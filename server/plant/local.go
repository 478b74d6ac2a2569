package plant

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/mirrorsignal/mirrorsignal/signal/atomicfile"
)

type local struct{ dir string }

// Local plants into dir on this host (temp file, fsync, rename, fsync of
// dir; see signal/atomicfile).
func Local(dir string) Planter { return local{dir: dir} }

func (l local) Plant(ctx context.Context, name string, data []byte) error {
	if err := CheckName(name); err != nil {
		return fmt.Errorf("plant %s: %w", l, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("plant %s in %s: %w", name, l, err)
	}
	if err := atomicfile.Write(filepath.Join(l.dir, name), data, Mode); err != nil {
		return fmt.Errorf("plant: %w", err)
	}
	return nil
}

func (l local) String() string { return l.dir }
