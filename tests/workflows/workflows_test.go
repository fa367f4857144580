package workflows

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/koprogo/koprogo-monitoring/internal/testkit"
)

func load(t *testing.T) ([]*Workflow, []string) {
	t.Helper()
	ws, err := LoadWorkflows()
	if err != nil {
		t.Fatal(err)
	}
	stacks, err := Stacks()
	if err != nil {
		t.Fatal(err)
	}
	if len(stacks) == 0 {
		t.Fatalf("no Pulumi.<stack>.yaml in %s", RepoRoot)
	}
	return ws, stacks
}

func report(t *testing.T, problems []string) {
	t.Helper()
	for _, p := range problems {
		t.Error(p)
	}
}

// actionlint runs the pinned actionlint on files. Its shellcheck and pyflakes
// integrations are turned off so that the result does not depend on what
// else is installed on the machine.
func actionlint(t *testing.T, dir string, files ...string) (string, error) {
	t.Helper()
	bin := testkit.Tool(t, "actionlint")
	cmd := exec.Command(bin, append([]string{"-no-color", "-shellcheck=", "-pyflakes="}, files...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestActionlint(t *testing.T) {
	files, err := WorkflowFiles()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no workflow files")
	}
	root, err := filepath.Abs(RepoRoot)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range files {
		files[i], _ = filepath.Rel(RepoRoot, f)
	}
	if out, err := actionlint(t, root, files...); err != nil {
		t.Fatalf("actionlint %v: %v\n%s", files, err, out)
	}
}

func TestPreviewMatrixIsEveryStack(t *testing.T) {
	ws, stacks := load(t)
	report(t, CheckMatrices(ws, stacks))
}

func TestPullRequestWorkflowIsReadOnly(t *testing.T) {
	ws, _ := load(t)
	report(t, CheckPullRequestReadOnly(ws))
}

func TestActionsArePinnedBySHA(t *testing.T) {
	ws, _ := load(t)
	report(t, CheckPinned(ws))
}

func TestOnePulumiRunPerStack(t *testing.T) {
	ws, _ := load(t)
	report(t, CheckConcurrency(ws))
	report(t, CheckDeploySecretsInEnvironments(ws))
}

func TestProdOnlyByHandInProduction(t *testing.T) {
	ws, _ := load(t)
	report(t, CheckDeploys(ws))
}

func TestDriftDetection(t *testing.T) {
	ws, _ := load(t)
	report(t, CheckDrift(ws))
}

func TestSSHKeyHostKeyAndTunnel(t *testing.T) {
	ws, stacks := load(t)
	report(t, CheckSSH(ws, stacks))
}

// TestChecksCatchBreakage breaks the real workflows one way at a time and
// requires the check that guards against it to say so: a check that cannot
// fail proves nothing.
func TestChecksCatchBreakage(t *testing.T) {
	matrices := func(ws []*Workflow, stacks []string) []string { return CheckMatrices(ws, stacks) }
	pr := func(ws []*Workflow, _ []string) []string { return CheckPullRequestReadOnly(ws) }
	pinned := func(ws []*Workflow, _ []string) []string { return CheckPinned(ws) }
	conc := func(ws []*Workflow, _ []string) []string { return CheckConcurrency(ws) }
	deploys := func(ws []*Workflow, _ []string) []string { return CheckDeploys(ws) }
	drift := func(ws []*Workflow, _ []string) []string { return CheckDrift(ws) }
	ssh := func(ws []*Workflow, stacks []string) []string { return CheckSSH(ws, stacks) }
	envs := func(ws []*Workflow, _ []string) []string { return CheckDeploySecretsInEnvironments(ws) }

	const (
		checkoutPin = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1"
		backendEnv  = "      PULUMI_CONFIG_PASSPHRASE: ${{ secrets.PULUMI_CONFIG_PASSPHRASE }}\n"
		firstRun    = "        run: |\n          if [ -z \"$PULUMI_ACCESS_TOKEN\" ]"
		prodIf      = "if: github.event_name == 'workflow_dispatch' && inputs.stack == 'prod'"
	)
	cases := []struct {
		name       string
		file       string
		old, new   string
		extraStack string // pretend a Pulumi.<extraStack>.yaml exists
		check      func([]*Workflow, []string) []string
		want       string
	}{
		{"preview misses a stack", "preview.yml", "stack: [prod, staging]", "stack: [prod]", "", matrices, "matrix.stack is [prod]"},
		{"new stack file not previewed", "preview.yml", "", "", "dev", matrices, "are [dev prod staging]"},
		{"drift misses a stack", "drift.yml", "stack: [prod, staging]", "stack: [staging]", "", matrices, "drift.yml: job drift: matrix.stack is [staging]"},
		{"pr runs up", "preview.yml", "command: preview", "command: up", "", pr, "a pull request may only preview"},
		{"pr runs destroy", "preview.yml", firstRun, "        run: |\n          pulumi destroy --yes --stack prod\n          if [ -z \"$PULUMI_ACCESS_TOKEN\" ]", "", pr, "`pulumi ... destroy`"},
		{"pr refresh input", "preview.yml", "refresh: false", "refresh: true", "", pr, "must not refresh"},
		{"pr --refresh in run", "preview.yml", firstRun, "        run: |\n          pulumi preview --refresh\n          if [ -z \"$PULUMI_ACCESS_TOKEN\" ]", "", pr, "run uses --refresh"},
		{"pr deploy key", "preview.yml", backendEnv, backendEnv + "      KEY: ${{ secrets.DEPLOY_SSH_KEY }}\n", "", pr, "must not reference DEPLOY_SSH_KEY"},
		{"pr known_hosts", "preview.yml", backendEnv, backendEnv + "      KNOWN: ${{ secrets.DEPLOY_KNOWN_HOSTS }}\n", "", pr, "must not reference DEPLOY_KNOWN_HOSTS"},
		{"pr other secret", "preview.yml", backendEnv, backendEnv + "      GH: ${{ secrets.GITHUB_TOKEN }}\n", "", pr, "not secrets.GITHUB_TOKEN"},
		{"pr every secret", "preview.yml", backendEnv, backendEnv + "      ALL: ${{ toJSON(secrets) }}\n", "", pr, "other than as secrets.NAME"},
		{"pr environment", "preview.yml", "    runs-on: ubuntu-24.04\n", "    runs-on: ubuntu-24.04\n    environment: production\n", "", pr, "must not use an environment"},
		{"pr target", "preview.yml", "  pull_request:\n", "  pull_request_target:\n", "", pr, "pull_request_target runs with"},
		{"action by tag", "preview.yml", checkoutPin, "actions/checkout@v7", "", pinned, "is not pinned by a full commit SHA"},
		{"action by short sha", "deploy.yml", checkoutPin, "actions/checkout@3d3c42e", "", pinned, "is not pinned by a full commit SHA"},
		{"pin without version", "drift.yml", checkoutPin + " # v7.0.1", checkoutPin, "", pinned, "needs a `# vX.Y.Z` comment"},
		{"cancel in progress", "deploy.yml", "cancel-in-progress: false", "cancel-in-progress: true", "", conc, "cancel-in-progress: false"},
		{"group not per stack", "deploy.yml", "group: pulumi-staging", "group: deploy", "", conc, `concurrency group is "deploy", want "pulumi-staging"`},
		{"no concurrency", "preview.yml", "    concurrency:\n      group: pulumi-preview-${{ matrix.stack }}-${{ github.event.pull_request.number }}\n      cancel-in-progress: true\n", "", "", conc, "concurrency group is \"\""},
		{"preview in the deploy group", "preview.yml", "group: pulumi-preview-${{ matrix.stack }}-${{ github.event.pull_request.number }}", "group: pulumi-${{ matrix.stack }}", "", conc, "want \"pulumi-preview-"},
		{"drift outside an environment", "drift.yml", "    environment: drift\n", "", "", envs, "names a deploy secret outside an environment"},
		{"drift in the prod environment", "drift.yml", "environment: drift", "environment: production", "", envs, `want "drift"`},
		{"prod on push", "deploy.yml", prodIf, "if: github.event_name == 'push' || inputs.stack == 'prod'", "", deploys, "must require github.event_name == 'workflow_dispatch'"},
		{"prod without if", "deploy.yml", "    " + prodIf + "\n", "", "", deploys, "must require github.event_name == 'workflow_dispatch'"},
		{"prod not protected", "deploy.yml", "environment: production", "environment: staging", "", deploys, `deploys prod in environment "staging", want "production"`},
		{"up on a matrix", "drift.yml", "command: preview", "command: up", "", deploys, "must name exactly one stack literally"},
		{"staging not on main", "deploy.yml", "branches: [main]", "branches: [release]", "", deploys, "not triggered by a push to main"},
		{"drift without expect-no-changes", "drift.yml", "expect-no-changes: true", "expect-no-changes: false", "", drift, `expect-no-changes "false"`},
		{"drift without refresh", "drift.yml", "refresh: true", "refresh: false", "", drift, `refresh "false"`},
		{"drift not by hand", "drift.yml", "  workflow_dispatch:\n", "", "", drift, "must also run on workflow_dispatch"},
		{"drift runs up", "drift.yml", "command: preview", "command: up", "", drift, `got command "up"`},
		{"no ssh-add", "deploy.yml", "printf '%s\\n' \"$DEPLOY_SSH_KEY\" | ssh-add -\n", "", "", ssh, "loads secrets.DEPLOY_SSH_KEY into ssh-agent"},
		{"host key unchecked", "drift.yml", "StrictHostKeyChecking=yes", "StrictHostKeyChecking=no", "", ssh, "turns host key checking off"},
		{"tunnel not backgrounded", "deploy.yml", "ssh -f -o ExitOnForwardFailure=yes", "ssh -o ExitOnForwardFailure=yes", "", ssh, "opens `pulumi stack output sshTunnel`"},
		{"no tunnel", "drift.yml", "ExitOnForwardFailure=yes", "ServerAliveInterval=30", "", ssh, "opens `pulumi stack output sshTunnel`"},
	}
	ws, stacks := load(t)
	// The real workflows pass every check (the tests above); each case must
	// change that.
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var broken []*Workflow
			found := false
			for _, w := range ws {
				if w.Name != c.file {
					broken = append(broken, w)
					continue
				}
				found = true
				raw := w.Raw
				if c.old != "" {
					if !strings.Contains(raw, c.old) {
						t.Fatalf("%s no longer contains %q: update this case", c.file, c.old)
					}
					raw = strings.ReplaceAll(raw, c.old, c.new)
				}
				b, err := Parse(w.Name, []byte(raw))
				if err != nil {
					t.Fatalf("broken %s does not parse: %v", c.file, err)
				}
				broken = append(broken, b)
			}
			if !found {
				t.Fatalf("no workflow %s", c.file)
			}
			st := stacks
			if c.extraStack != "" {
				st = append([]string{c.extraStack}, stacks...)
			}
			problems := c.check(broken, st)
			for _, p := range problems {
				if strings.Contains(p, c.want) {
					return
				}
			}
			t.Errorf("the check did not catch it: want a problem containing %q, got %q", c.want, problems)
		})
	}
}

// TestActionlintCatchesBreakage proves that actionlint's findings fail the
// test: a broken copy of a real workflow must be refused.
func TestActionlintCatchesBreakage(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(RepoRoot, ".github", "workflows", "deploy.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string][2]string{
		"unknown context": {"inputs.stack == 'prod'", "input.stack == 'prod'"},
		"bad runner":      {"runs-on: ubuntu-24.04", "runs-on: ubuntu-04.24"},
		"unknown key":     {"timeout-minutes: 60", "timeout-minute: 60"},
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(string(raw), c[0]) {
				t.Fatalf("deploy.yml no longer contains %q: update this case", c[0])
			}
			dir := t.TempDir()
			wf := filepath.Join(dir, ".github", "workflows")
			if err := os.MkdirAll(wf, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(wf, "deploy.yml"), []byte(strings.ReplaceAll(string(raw), c[0], c[1])), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := actionlint(t, dir, filepath.Join(".github", "workflows", "deploy.yml"))
			if err == nil {
				t.Fatalf("actionlint accepted the broken workflow:\n%s", out)
			}
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				t.Fatalf("actionlint failed to run (want exit status 1, problems found): %v\n%s", err, out)
			}
		})
	}
}
