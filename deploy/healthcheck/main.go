// Command healthcheck is the container image's HEALTHCHECK (deploy/Dockerfile):
// it asks the server's readiness endpoint and exits 0 when it answers 200 OK,
// 1 otherwise. The image is distroless, with no shell, curl or wget to do it.
//
//	healthcheck [URL]   (default http://127.0.0.1:8080/readyz)
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

const defaultURL = "http://127.0.0.1:8080/readyz"

func main() {
	url := defaultURL
	if len(os.Args) > 1 {
		url = os.Args[1]
	}
	if err := check(url, 4*time.Second); err != nil {
		fmt.Fprintln(os.Stderr, "healthcheck:", err)
		os.Exit(1)
	}
}

// check reports whether url answers 200 OK within timeout. A redirect is not
// followed: /readyz never redirects, so one means the wrong server.
func check(url string, timeout time.Duration) error {
	c := &http.Client{
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", url, resp.Status)
	}
	return nil
}
