package mirrorlistbench

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"
)

// nginxConf serves DIR/www/mirrorlist at /mirrorlist (any query), with
// one worker, no access log, and otherwise nginx's defaults.
const nginxConf = `worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path %[1]s/tmp;
  proxy_temp_path %[1]s/tmp;
  fastcgi_temp_path %[1]s/tmp;
  uwsgi_temp_path %[1]s/tmp;
  scgi_temp_path %[1]s/tmp;
  sendfile on;
  tcp_nopush on;
  types { }
  default_type "text/plain; charset=utf-8";
  server {
    listen %[2]s;
    root %[1]s/www;
    location = /mirrorlist { }
  }
}
`

// startNginx writes body as DIR/nginx/www/mirrorlist and serves it.
func startNginx(cpu, dir string, body []byte) (*process, string, error) {
	root := filepath.Join(dir, "nginx")
	for _, d := range []string{root, filepath.Join(root, "www"), filepath.Join(root, "tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, "", err
		}
		if err := os.Chmod(d, 0o755); err != nil { // nginx's worker may run as nobody
			return nil, "", err
		}
	}
	if err := os.WriteFile(filepath.Join(root, "www", "mirrorlist"), body, 0o644); err != nil {
		return nil, "", err
	}
	addr, err := freePort()
	if err != nil {
		return nil, "", err
	}
	conf := filepath.Join(root, "nginx.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, nginxConf, root, addr), 0o644); err != nil {
		return nil, "", err
	}
	nginx, err := lookPath("nginx")
	if err != nil {
		return nil, "", err
	}
	p, err := start("nginx", cpu, dir, nil, nginx, "-p", root, "-c", conf, "-g", "daemon off;")
	if err != nil {
		return nil, "", err
	}
	if err := waitListening(addr, p); err != nil {
		p.Stop()
		return nil, "", err
	}
	return p, addr, nil
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitListening(addr string, p *process) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited: %s", p.name, p.tail())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s does not listen on %s", p.name, addr)
}
