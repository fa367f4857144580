package services

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"testing"
)

// The Alloy healthcheck is a bash program (the image has no curl or wget):
// run it with the real bash against a server answering like Alloy's /-/ready.
func TestAlloyHealthcheckProbe(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/-/ready" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port

	probe := func() error {
		test := Get(Alloy).Health.Command(port)
		if test[0] != "CMD" {
			t.Fatalf("healthcheck %q is not an exec-form CMD", test)
		}
		return exec.Command(test[1], test[2:]...).Run()
	}
	if err := probe(); err != nil {
		t.Fatalf("probe failed against a ready server: %v", err)
	}
	status = http.StatusServiceUnavailable
	if err := probe(); err == nil {
		t.Fatal("probe succeeded against a server answering 503")
	}
	srv.Close()
	if err := probe(); err == nil {
		t.Fatal("probe succeeded with nothing listening")
	}
}
