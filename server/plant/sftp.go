package plant

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/pkg/sftp"

	"github.com/mirrorsignal/mirrorsignal/server/sshdial"
)

// SFTP extensions the planter relies on. OpenSSH's sftp-server (and
// internal-sftp) offers both.
const (
	extPosixRename = "posix-rename@openssh.com"
	extFsync       = "fsync@openssh.com"
)

// ErrNoAtomicRename reports an SFTP server without posix-rename@openssh.com.
// Plain SFTP rename refuses to replace an existing file, and remove-then-
// rename would leave the tree without a TIME file for a moment (a mirror
// syncing then would lose it), so the planter refuses to plant there.
var ErrNoAtomicRename = errors.New("SFTP server does not offer " + extPosixRename + " (needed to replace the file atomically)")

type sftpPlanter struct {
	cfg sshdial.Config
	dir string
}

// SFTP plants into dir on the SSH server cfg names (a path as the server's
// SFTP sees it: inside the chroot, if any). Each Plant opens its own
// connection, uploads to ".<name>.tmp-<random>" in dir, sets the mode,
// fsyncs (when the server offers fsync@openssh.com), closes and renames it
// over name with posix-rename@openssh.com. On failure the temp file is
// removed; if the connection itself was lost, the next Plant of the same
// name removes the leftovers (so two Plants of one name to one dir must not
// run at once; the publisher serialises them). ctx bounds everything: when it ends the
// connection is closed.
func SFTP(cfg sshdial.Config, dir string) Planter { return &sftpPlanter{cfg: cfg, dir: dir} }

func (p *sftpPlanter) String() string {
	return fmt.Sprintf("sftp://%s@%s%s", p.cfg.User, p.cfg.Addr, p.dir)
}

func (p *sftpPlanter) Plant(ctx context.Context, name string, data []byte) (err error) {
	if err := CheckName(name); err != nil {
		return fmt.Errorf("plant %s: %w", p, err)
	}
	defer func() {
		if err != nil {
			if ctx.Err() != nil {
				err = fmt.Errorf("%w (%w)", context.Cause(ctx), err)
			}
			err = fmt.Errorf("plant %s in %s: %w", name, p, err)
		}
	}()
	conn, err := sshdial.Dial(ctx, p.cfg)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, err := sftp.NewClient(conn)
	if err != nil {
		return fmt.Errorf("sftp: %w", err)
	}
	defer c.Close()
	if _, ok := c.HasExtension(extPosixRename); !ok {
		return ErrNoAtomicRename
	}
	p.sweep(c, name)
	return p.upload(c, name, data)
}

// upload writes data to a temp file and renames it over name.
func (p *sftpPlanter) upload(c *sftp.Client, name string, data []byte) error {
	tmp, err := tempName(p.dir, name)
	if err != nil {
		return err
	}
	f, err := c.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
	}
	if err := writeSync(c, f, data); err != nil {
		_ = c.Remove(tmp)
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := c.PosixRename(tmp, path.Join(p.dir, name)); err != nil {
		_ = c.Remove(tmp)
		return fmt.Errorf("rename %s over %s: %w", tmp, name, err)
	}
	return nil
}

func writeSync(c *sftp.Client, f *sftp.File, data []byte) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(Mode) // the server's umask applied at create
	}
	if data, ok := c.HasExtension(extFsync); err == nil && ok && data == "1" {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// sweep removes temp files an earlier Plant of name left behind when its
// connection was lost. The tree root is small; errors only mean the
// leftovers stay until the next time.
func (p *sftpPlanter) sweep(c *sftp.Client, name string) {
	entries, err := c.ReadDir(p.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "."+name+".tmp-") && e.Mode().IsRegular() {
			_ = c.Remove(path.Join(p.dir, e.Name()))
		}
	}
}

func tempName(dir, name string) (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return path.Join(dir, "."+name+".tmp-"+hex.EncodeToString(b)), nil
}
