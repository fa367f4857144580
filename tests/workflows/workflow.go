// Package workflows checks the GitHub Actions workflows in .github/workflows:
// actionlint on every file, and the invariants that keep the pull-request
// preview away from the VPS and the deploy secrets, prod behind a manual run
// in the protected environment, one Pulumi run per stack at a time, and the
// daily drift check honest. The checks live in this file as functions that
// return problems, so the tests can prove that each one catches a broken
// workflow (checks_test.go).
package workflows

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// RepoRoot is the repository root, seen from this package's directory.
var RepoRoot = filepath.Join("..", "..")

// BackendSecrets are the only secrets the pull-request workflow may name.
var BackendSecrets = []string{"PULUMI_ACCESS_TOKEN", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"}

// DeploySecrets reach the VPS; the pull-request workflow must never see them.
var DeploySecrets = []string{"DEPLOY_SSH_KEY", "DEPLOY_KNOWN_HOSTS"}

// Environments maps each stack to the GitHub environment its deploy job must
// name.
var Environments = map[string]string{"prod": "production", "staging": "staging"}

// Workflow is one parsed workflow file.
type Workflow struct {
	Name string // file name, e.g. preview.yml
	Raw  string
	Doc  *yaml.Node // the top-level mapping
	Spec struct {
		On   yaml.Node       `yaml:"on"`
		Jobs map[string]*Job `yaml:"jobs"`
	}
}

// Job is the part of a job the checks read.
type Job struct {
	ID          string                     `yaml:"-"`
	If          string                     `yaml:"if"`
	Environment yaml.Node                  `yaml:"environment"`
	Concurrency yaml.Node                  `yaml:"concurrency"`
	Strategy    struct{ Matrix yaml.Node } `yaml:"strategy"`
	Env         map[string]string          `yaml:"env"`
	Uses        string                     `yaml:"uses"`
	Secrets     yaml.Node                  `yaml:"secrets"`
	Steps       []*Step                    `yaml:"steps"`
}

// Step is the part of a step the checks read.
type Step struct {
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	With map[string]string `yaml:"with"`
	Env  map[string]string `yaml:"env"`
}

// Parse parses one workflow file.
func Parse(name string, raw []byte) (*Workflow, error) {
	w := &Workflow{Name: name, Raw: string(raw)}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: not a YAML mapping", name)
	}
	w.Doc = doc.Content[0]
	if err := w.Doc.Decode(&w.Spec); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	for id, j := range w.Spec.Jobs {
		if j == nil {
			return nil, fmt.Errorf("%s: job %s is empty", name, id)
		}
		j.ID = id
	}
	return w, nil
}

// WorkflowFiles lists the workflow files of the repository.
func WorkflowFiles() ([]string, error) {
	var files []string
	for _, pat := range []string{"*.yml", "*.yaml"} {
		m, err := filepath.Glob(filepath.Join(RepoRoot, ".github", "workflows", pat))
		if err != nil {
			return nil, err
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	return files, nil
}

// LoadWorkflows parses every workflow file of the repository.
func LoadWorkflows() ([]*Workflow, error) {
	files, err := WorkflowFiles()
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no workflow in %s", filepath.Join(RepoRoot, ".github", "workflows"))
	}
	var ws []*Workflow
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		w, err := Parse(filepath.Base(f), raw)
		if err != nil {
			return nil, err
		}
		ws = append(ws, w)
	}
	return ws, nil
}

// Stacks returns the stacks that have a Pulumi.<stack>.yaml in the repository
// root, sorted.
func Stacks() ([]string, error) {
	m, err := filepath.Glob(filepath.Join(RepoRoot, "Pulumi.*.yaml"))
	if err != nil {
		return nil, err
	}
	var stacks []string
	for _, f := range m {
		stacks = append(stacks, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml"))
	}
	sort.Strings(stacks)
	return stacks, nil
}

// Triggers returns the events of the workflow's `on`, with their settings
// (nil when the event is given as a bare name).
func (w *Workflow) Triggers() map[string]*yaml.Node {
	t := map[string]*yaml.Node{}
	on := &w.Spec.On
	switch on.Kind {
	case yaml.ScalarNode:
		t[on.Value] = nil
	case yaml.SequenceNode:
		for _, n := range on.Content {
			t[n.Value] = nil
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(on.Content); i += 2 {
			t[on.Content[i].Value] = on.Content[i+1]
		}
	}
	return t
}

// IsPullRequest reports whether pull requests trigger the workflow.
func (w *Workflow) IsPullRequest() bool {
	t := w.Triggers()
	_, pr := t["pull_request"]
	_, prt := t["pull_request_target"]
	return pr || prt
}

// SortedJobs returns the jobs in ID order, for stable messages.
func (w *Workflow) SortedJobs() []*Job {
	var jobs []*Job
	for _, j := range w.Spec.Jobs {
		jobs = append(jobs, j)
	}
	sort.Slice(jobs, func(a, b int) bool { return jobs[a].ID < jobs[b].ID })
	return jobs
}

// IsPulumiAction reports whether the step uses pulumi/actions.
func (s *Step) IsPulumiAction() bool {
	return strings.HasPrefix(s.Uses, "pulumi/actions@")
}

var pulumiInRun = regexp.MustCompile(`(^|[\s;&|(])pulumi\s`)
var shellSeparators = regexp.MustCompile(`[;&|()]+`)

// RunsPulumi reports whether the step runs the Pulumi CLI.
func (s *Step) RunsPulumi() bool {
	return s.IsPulumiAction() || pulumiInRun.MatchString(s.Run)
}

// pulumiCommands returns the argument lists of the `pulumi ...` commands in a
// run script, one per line (continuation lines joined).
func pulumiCommands(run string) [][]string {
	run = strings.ReplaceAll(run, "\\\n", " ")
	var cmds [][]string
	for _, line := range strings.Split(run, "\n") {
		for _, part := range shellSeparators.Split(line, -1) {
			f := strings.Fields(part)
			for i, w := range f {
				if w == "pulumi" {
					cmds = append(cmds, f[i+1:])
					break
				}
			}
		}
	}
	return cmds
}

// Deploys reports whether the step runs `pulumi up`.
func (s *Step) Deploys() bool {
	if s.IsPulumiAction() {
		c := s.With["command"]
		return c == "up" || c == "update"
	}
	for _, args := range pulumiCommands(s.Run) {
		if len(args) > 0 && (args[0] == "up" || args[0] == "update") {
			return true
		}
	}
	return false
}

// Refreshes reports whether the step runs a Pulumi refresh (which reads the
// VPS): `pulumi refresh`, or any operation with --refresh.
func (s *Step) Refreshes() bool {
	if s.IsPulumiAction() {
		r := s.With["refresh"]
		return s.With["command"] == "refresh" || (r != "" && r != "false")
	}
	for _, args := range pulumiCommands(s.Run) {
		if len(args) > 0 && args[0] == "refresh" {
			return true
		}
		for _, a := range args {
			if strings.HasPrefix(a, "--refresh") && a != "--refresh=false" {
				return true
			}
		}
	}
	return false
}

// RunsPulumi reports whether any step of the job runs Pulumi.
func (j *Job) RunsPulumi() bool {
	return slices.ContainsFunc(j.Steps, (*Step).RunsPulumi)
}

// EnvironmentName is the name of the job's GitHub environment, or "".
func (j *Job) EnvironmentName() string {
	e := &j.Environment
	switch e.Kind {
	case yaml.ScalarNode:
		return e.Value
	case yaml.MappingNode:
		for i := 0; i+1 < len(e.Content); i += 2 {
			if e.Content[i].Value == "name" {
				return e.Content[i+1].Value
			}
		}
	}
	return ""
}

// MatrixStacks returns the values of the job's matrix.stack, and whether the
// matrix is a plain list of stacks (no include/exclude, no other axis).
func (j *Job) MatrixStacks() ([]string, bool) {
	m := &j.Strategy.Matrix
	if m.Kind != yaml.MappingNode {
		return nil, false
	}
	var stacks []string
	plain := true
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Value != "stack" {
			plain = false
			continue
		}
		if v.Kind != yaml.SequenceNode {
			return nil, false
		}
		for _, n := range v.Content {
			stacks = append(stacks, n.Value)
		}
	}
	sort.Strings(stacks)
	return stacks, plain && stacks != nil
}

var exprSpace = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// normExpr removes the spaces inside ${{ }}, so `${{ matrix.stack }}` and
// `${{matrix.stack}}` compare equal.
func normExpr(s string) string {
	return exprSpace.ReplaceAllString(strings.TrimSpace(s), "$${{$1}}")
}

var stackFlag = regexp.MustCompile(`^(?:--stack|-s)(?:=(.*))?$`)
var shellVar = regexp.MustCompile(`^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$`)

// StackRefs returns the stacks the job's Pulumi steps name (the pulumi/actions
// stack-name, or --stack/-s of a `pulumi` command, with $VAR resolved from the
// step's then the job's env), normalized and deduplicated.
func (j *Job) StackRefs() []string {
	set := map[string]bool{}
	for _, s := range j.Steps {
		if s.IsPulumiAction() {
			if v := s.With["stack-name"]; v != "" {
				set[normExpr(v)] = true
			}
			continue
		}
		for _, args := range pulumiCommands(s.Run) {
			for i, a := range args {
				m := stackFlag.FindStringSubmatch(a)
				if m == nil {
					continue
				}
				v := m[1]
				if !strings.Contains(a, "=") && i+1 < len(args) {
					v = args[i+1]
				}
				v = strings.Trim(v, `"'`)
				if vm := shellVar.FindStringSubmatch(v); vm != nil {
					if r, ok := s.Env[vm[1]]; ok {
						v = r
					} else if r, ok := j.Env[vm[1]]; ok {
						v = r
					}
				}
				if v != "" {
					set[normExpr(v)] = true
				}
			}
		}
	}
	var refs []string
	for v := range set {
		refs = append(refs, v)
	}
	sort.Strings(refs)
	return refs
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// walkScalars calls f on every scalar node (keys and values) under n.
func walkScalars(n *yaml.Node, f func(*yaml.Node)) {
	if n.Kind == yaml.ScalarNode {
		f(n)
	}
	for _, c := range n.Content {
		walkScalars(c, f)
	}
}

// walkMappings calls f on every key/value pair under n.
func walkMappings(n *yaml.Node, f func(k, v *yaml.Node)) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			f(n.Content[i], n.Content[i+1])
		}
	}
	for _, c := range n.Content {
		walkMappings(c, f)
	}
}

// ---------------------------------------------------------------------------
// The checks. Each returns one message per problem found.
// ---------------------------------------------------------------------------

// CheckMatrices: every stack-matrix job that previews (the pull-request
// preview and the drift check) covers exactly the stacks that have a
// Pulumi.<stack>.yaml, and the pull-request workflow previews them.
func CheckMatrices(ws []*Workflow, stacks []string) []string {
	var problems []string
	previewed := false
	for _, w := range ws {
		for _, j := range w.SortedJobs() {
			for _, s := range j.Steps {
				if !s.IsPulumiAction() || s.With["command"] != "preview" {
					continue
				}
				where := fmt.Sprintf("%s: job %s", w.Name, j.ID)
				if normExpr(s.With["stack-name"]) != "${{matrix.stack}}" {
					problems = append(problems, fmt.Sprintf("%s: preview's stack-name is %q, want ${{ matrix.stack }} over every stack", where, s.With["stack-name"]))
					continue
				}
				got, plain := j.MatrixStacks()
				if !plain {
					problems = append(problems, fmt.Sprintf("%s: strategy.matrix must be only `stack: [...]` (no include/exclude or other axis)", where))
					continue
				}
				if !slices.Equal(got, stacks) {
					problems = append(problems, fmt.Sprintf("%s: matrix.stack is %v, but the stacks with a Pulumi.<stack>.yaml are %v", where, got, stacks))
				}
				if w.IsPullRequest() {
					previewed = true
				}
			}
		}
	}
	if !previewed {
		problems = append(problems, "no pull-request workflow runs pulumi/actions `command: preview` over matrix.stack")
	}
	return problems
}

var secretsWord = regexp.MustCompile(`\bsecrets\b`)
var secretsDot = regexp.MustCompile(`^\s*\.\s*([A-Za-z_][A-Za-z0-9_-]*)`)

// secretRefs returns the secret names referenced in ${{ }} expressions under
// n, and a problem for every use of `secrets` other than secrets.NAME (e.g.
// toJSON(secrets) or secrets[...]), which could expose any secret.
func secretRefs(n *yaml.Node) (names []string, problems []string) {
	expr := regexp.MustCompile(`(?s)\$\{\{(.*?)\}\}`)
	walkScalars(n, func(s *yaml.Node) {
		for _, m := range expr.FindAllStringSubmatch(s.Value, -1) {
			e := m[1]
			for _, loc := range secretsWord.FindAllStringIndex(e, -1) {
				if d := secretsDot.FindStringSubmatch(e[loc[1]:]); d != nil {
					names = append(names, d[1])
				} else {
					problems = append(problems, fmt.Sprintf("line %d: `secrets` used other than as secrets.NAME in ${{%s}}", s.Line, e))
				}
			}
		}
	})
	return names, problems
}

// CheckPullRequestReadOnly: a workflow triggered by pull requests never runs
// up, destroy or a refresh, never names a deploy secret, an environment, or
// any secret other than the state backend's, and is not pull_request_target.
func CheckPullRequestReadOnly(ws []*Workflow) []string {
	var problems []string
	found := false
	for _, w := range ws {
		if !w.IsPullRequest() {
			continue
		}
		found = true
		if _, ok := w.Triggers()["pull_request_target"]; ok {
			problems = append(problems, fmt.Sprintf("%s: pull_request_target runs with the repository's secrets on the pull request's code; use pull_request", w.Name))
		}
		for _, name := range DeploySecrets {
			if strings.Contains(w.Raw, name) {
				problems = append(problems, fmt.Sprintf("%s: a pull-request workflow must not reference %s", w.Name, name))
			}
		}
		names, ps := secretRefs(w.Doc)
		for _, p := range ps {
			problems = append(problems, w.Name+": "+p)
		}
		for _, n := range names {
			if !slices.Contains(BackendSecrets, n) {
				problems = append(problems, fmt.Sprintf("%s: a pull-request workflow may only use the state backend's secrets %v, not secrets.%s", w.Name, BackendSecrets, n))
			}
		}
		for _, j := range w.SortedJobs() {
			where := fmt.Sprintf("%s: job %s", w.Name, j.ID)
			if j.Environment.Kind != 0 {
				problems = append(problems, fmt.Sprintf("%s: a pull-request job must not use an environment (its secrets would be exposed)", where))
			}
			if j.Uses != "" || j.Secrets.Kind != 0 {
				problems = append(problems, fmt.Sprintf("%s: a pull-request job must not call a reusable workflow or pass secrets to one", where))
			}
			for i, s := range j.Steps {
				step := fmt.Sprintf("%s step %d (%s)", where, i+1, s.Name)
				if s.IsPulumiAction() {
					if c := s.With["command"]; c != "" && c != "preview" {
						problems = append(problems, fmt.Sprintf("%s: pulumi/actions command %q; a pull request may only preview", step, c))
					}
					if r := s.With["refresh"]; r != "" && r != "false" {
						problems = append(problems, fmt.Sprintf("%s: refresh: %s; a pull-request preview must not refresh (it would need the VPS)", step, r))
					}
				}
				if strings.Contains(s.Run, "--refresh") {
					problems = append(problems, fmt.Sprintf("%s: run uses --refresh", step))
				}
				for _, args := range pulumiCommands(s.Run) {
					for _, a := range args {
						if a == "up" || a == "update" || a == "destroy" || a == "refresh" {
							problems = append(problems, fmt.Sprintf("%s: run has `pulumi ... %s`", step, a))
						}
					}
				}
			}
		}
	}
	if !found {
		problems = append(problems, "no workflow is triggered by pull_request")
	}
	return problems
}

var pinnedUses = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^@\s]+)?@[0-9a-f]{40}$`)
var versionComment = regexp.MustCompile(`^#\s*v\d+\.\d+\.\d+$`)

// CheckPinned: every `uses:` names owner/repo[/path]@<40-hex commit> with a
// `# vX.Y.Z` comment.
func CheckPinned(ws []*Workflow) []string {
	var problems []string
	for _, w := range ws {
		walkMappings(w.Doc, func(k, v *yaml.Node) {
			if k.Value != "uses" || v.Kind != yaml.ScalarNode {
				return
			}
			if !pinnedUses.MatchString(v.Value) {
				problems = append(problems, fmt.Sprintf("%s:%d: uses %q is not pinned by a full commit SHA", w.Name, v.Line, v.Value))
			}
			c := strings.TrimSpace(v.LineComment)
			if c == "" {
				c = strings.TrimSpace(k.LineComment)
			}
			if !versionComment.MatchString(c) {
				problems = append(problems, fmt.Sprintf("%s:%d: uses %q needs a `# vX.Y.Z` comment naming the pinned version, got %q", w.Name, v.Line, v.Value, c))
			}
		})
	}
	return problems
}

// CheckConcurrency: every job that runs Pulumi names exactly one stack.
// Deploy and drift jobs have `concurrency: {group: pulumi-<stack>,
// cancel-in-progress: false}`, so they never run at once on the same stack
// and a running `up` is never cancelled halfway. Pull-request previews only
// read the state: they have a group of their own per stack and pull request
// (pulumi-preview-<stack>-<number>), because GitHub cancels a pending run
// when a newer one joins its group, and a preview must never cancel a
// pending deploy.
func CheckConcurrency(ws []*Workflow) []string {
	var problems []string
	for _, w := range ws {
		for _, j := range w.SortedJobs() {
			if !j.RunsPulumi() {
				continue
			}
			where := fmt.Sprintf("%s: job %s", w.Name, j.ID)
			refs := j.StackRefs()
			if len(refs) != 1 {
				problems = append(problems, fmt.Sprintf("%s runs Pulumi on stacks %v; want exactly one stack per job", where, refs))
				continue
			}
			want := "pulumi-" + refs[0]
			if w.IsPullRequest() {
				want = "pulumi-preview-" + refs[0] + "-${{ github.event.pull_request.number }}"
			}
			group := mapValue(&j.Concurrency, "group")
			if group == nil || normExpr(group.Value) != normExpr(want) {
				got := ""
				if group != nil {
					got = group.Value
				} else if j.Concurrency.Kind == yaml.ScalarNode {
					got = j.Concurrency.Value + " (a bare group: cancel-in-progress must be given as false)"
				}
				problems = append(problems, fmt.Sprintf("%s: concurrency group is %q, want %q", where, got, want))
			}
			c := mapValue(&j.Concurrency, "cancel-in-progress")
			if !w.IsPullRequest() && (c == nil || c.Tag != "!!bool" || c.Value != "false") {
				problems = append(problems, fmt.Sprintf("%s: concurrency needs `cancel-in-progress: false` (a Pulumi run must never be cancelled halfway)", where))
			}
		}
	}
	return problems
}

var spaces = regexp.MustCompile(`\s+`)

// CheckDeploys: every job that runs `pulumi up` names its stack literally and
// uses that stack's environment; prod is deployed only from a
// workflow_dispatch run (the job's `if` requires it, with no `||`) in
// environment production; staging is deployed on push to main.
func CheckDeploys(ws []*Workflow) []string {
	var problems []string
	deployed := map[string]bool{}
	for _, w := range ws {
		trig := w.Triggers()
		for _, j := range w.SortedJobs() {
			if !slices.ContainsFunc(j.Steps, (*Step).Deploys) {
				continue
			}
			where := fmt.Sprintf("%s: job %s", w.Name, j.ID)
			refs := j.StackRefs()
			if len(refs) != 1 || strings.Contains(refs[0], "${{") {
				problems = append(problems, fmt.Sprintf("%s deploys stacks %v; a deploy job must name exactly one stack literally", where, refs))
				continue
			}
			stack := refs[0]
			deployed[stack] = true
			env, ok := Environments[stack]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s deploys stack %q, which has no environment in this test's Environments map", where, stack))
				continue
			}
			if got := j.EnvironmentName(); got != env {
				problems = append(problems, fmt.Sprintf("%s deploys %s in environment %q, want %q", where, stack, got, env))
			}
			switch stack {
			case "prod":
				if _, ok := trig["workflow_dispatch"]; !ok {
					problems = append(problems, fmt.Sprintf("%s deploys prod but the workflow has no workflow_dispatch trigger", where))
				}
				cond := spaces.ReplaceAllString(j.If, " ")
				onlyDispatch := len(trig) == 1
				if !onlyDispatch && (!strings.Contains(cond, "github.event_name == 'workflow_dispatch'") || strings.Contains(cond, "||")) {
					problems = append(problems, fmt.Sprintf("%s deploys prod with if: %q; it must require github.event_name == 'workflow_dispatch' (and no ||)", where, j.If))
				}
			case "staging":
				var branches []*yaml.Node
				if b := mapValue(trig["push"], "branches"); b != nil {
					branches = b.Content
				}
				if !slices.ContainsFunc(branches, func(n *yaml.Node) bool { return n.Value == "main" }) {
					problems = append(problems, fmt.Sprintf("%s deploys staging but the workflow is not triggered by a push to main", where))
				}
			}
		}
	}
	for _, s := range []string{"prod", "staging"} {
		if !deployed[s] {
			problems = append(problems, fmt.Sprintf("no job deploys %s", s))
		}
	}
	return problems
}

// CheckDrift: a scheduled workflow, also runnable by hand, previews every
// stack with refresh and expect-no-changes, and nothing else.
func CheckDrift(ws []*Workflow) []string {
	var problems []string
	found := false
	for _, w := range ws {
		trig := w.Triggers()
		if _, ok := trig["schedule"]; !ok {
			continue
		}
		if _, ok := trig["workflow_dispatch"]; !ok {
			problems = append(problems, fmt.Sprintf("%s: the drift check must also run on workflow_dispatch", w.Name))
		}
		for _, j := range w.SortedJobs() {
			for i, s := range j.Steps {
				if !s.RunsPulumi() || (s.IsPulumiAction() && s.With["command"] == "") {
					continue // not Pulumi, or installing the CLI only
				}
				step := fmt.Sprintf("%s: job %s step %d (%s)", w.Name, j.ID, i+1, s.Name)
				if s.IsPulumiAction() {
					if s.With["command"] != "preview" || s.With["refresh"] != "true" || s.With["expect-no-changes"] != "true" {
						problems = append(problems, fmt.Sprintf("%s: want command: preview, refresh: true, expect-no-changes: true; got command %q, refresh %q, expect-no-changes %q",
							step, s.With["command"], s.With["refresh"], s.With["expect-no-changes"]))
						continue
					}
					found = true
					continue
				}
				for _, args := range pulumiCommands(s.Run) {
					if len(args) == 0 || args[0] == "stack" || args[0] == "version" {
						continue
					}
					if args[0] != "preview" || !slices.Contains(args, "--refresh") || !slices.Contains(args, "--expect-no-changes") {
						problems = append(problems, fmt.Sprintf("%s: `pulumi %s`; a drift check only runs `pulumi preview --refresh --expect-no-changes`", step, strings.Join(args, " ")))
						continue
					}
					found = true
				}
			}
		}
	}
	if !found {
		problems = append(problems, "no scheduled workflow runs `pulumi preview --refresh --expect-no-changes` (pulumi/actions preview with refresh and expect-no-changes)")
	}
	return problems
}

var hkOff = regexp.MustCompile(`(?i)StrictHostKeyChecking[= ]+(no|off|accept-new)`)
var authSockToEnv = regexp.MustCompile(`SSH_AUTH_SOCK=.*>>\s*"?\$GITHUB_ENV`)
var sshBackground = regexp.MustCompile(`(^|\s)ssh -f `)

// CheckSSH: every job that reaches the VPS (up, or a refresh) first loads
// DEPLOY_SSH_KEY into an ssh-agent exported through $GITHUB_ENV, pins
// DEPLOY_KNOWN_HOSTS in ~/.ssh/known_hosts, then opens the stack's
// sshTunnel in the background with ExitOnForwardFailure; nothing turns host
// key checking off; and the stack files keep StrictHostKeyChecking=yes.
func CheckSSH(ws []*Workflow, stacks []string) []string {
	var problems []string
	for _, w := range ws {
		if m := hkOff.FindString(w.Raw); m != "" {
			problems = append(problems, fmt.Sprintf("%s: %q turns host key checking off", w.Name, m))
		}
		for _, j := range w.SortedJobs() {
			first := slices.IndexFunc(j.Steps, func(s *Step) bool { return s.Deploys() || s.Refreshes() })
			if first < 0 {
				continue
			}
			where := fmt.Sprintf("%s: job %s", w.Name, j.ID)
			agent, tunnel := -1, -1
			for i, s := range j.Steps[:first] {
				envSecrets := map[string]bool{}
				for _, v := range s.Env {
					envSecrets[normExpr(v)] = true
				}
				if envSecrets["${{secrets.DEPLOY_SSH_KEY}}"] && envSecrets["${{secrets.DEPLOY_KNOWN_HOSTS}}"] &&
					strings.Contains(s.Run, "ssh-agent") && strings.Contains(s.Run, "ssh-add") &&
					strings.Contains(s.Run, "~/.ssh/known_hosts") && authSockToEnv.MatchString(s.Run) {
					agent = i
				}
				if strings.Contains(s.Run, "pulumi stack output sshTunnel") && strings.Contains(s.Run, "ExitOnForwardFailure=yes") &&
					sshBackground.MatchString(s.Run) {
					tunnel = i
				}
			}
			if agent < 0 {
				problems = append(problems, fmt.Sprintf("%s reaches the VPS but no earlier step loads secrets.DEPLOY_SSH_KEY into ssh-agent (SSH_AUTH_SOCK to $GITHUB_ENV) and writes secrets.DEPLOY_KNOWN_HOSTS to ~/.ssh/known_hosts", where))
			}
			if tunnel < 0 {
				problems = append(problems, fmt.Sprintf("%s reaches the VPS but no earlier step opens `pulumi stack output sshTunnel` with ssh -f -o ExitOnForwardFailure=yes", where))
			}
			if agent >= 0 && tunnel >= 0 && tunnel < agent {
				problems = append(problems, fmt.Sprintf("%s opens the tunnel before loading the SSH key", where))
			}
		}
	}
	for _, st := range stacks {
		f := filepath.Join(RepoRoot, "Pulumi."+st+".yaml")
		raw, err := os.ReadFile(f)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		var cfg struct {
			Config map[string]any `yaml:"config"`
		}
		if err := yaml.Unmarshal(raw, &cfg); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", f, err))
			continue
		}
		var opts []string
		sshOpts, _ := cfg.Config["koprogo-monitoring:dockerSshOpts"].(string)
		if err := json.Unmarshal([]byte(sshOpts), &opts); err != nil {
			problems = append(problems, fmt.Sprintf("%s: dockerSshOpts: %v", f, err))
			continue
		}
		if !slices.Contains(opts, "StrictHostKeyChecking=yes") {
			problems = append(problems, fmt.Sprintf("%s: dockerSshOpts %v must pass -o StrictHostKeyChecking=yes", f, opts))
		}
	}
	return problems
}

// DriftEnvironment is the environment the drift jobs read the deploy
// secrets from: limited to main like the deploy environments, but without
// required reviewers, so the daily check needs no approval.
const DriftEnvironment = "drift"

// CheckDeploySecretsInEnvironments: a job that names a deploy secret runs in
// a GitHub environment (deploy jobs in their stack's, drift jobs in
// DriftEnvironment). The deploy secrets are environment secrets of
// environments limited to main, so a workflow pushed to another branch
// cannot read them, as it could read repository secrets.
func CheckDeploySecretsInEnvironments(ws []*Workflow) []string {
	var problems []string
	for _, w := range ws {
		jobs := mapValue(w.Doc, "jobs")
		for _, j := range w.SortedJobs() {
			names, _ := secretRefs(mapValue(jobs, j.ID))
			if !slices.ContainsFunc(names, func(n string) bool { return slices.Contains(DeploySecrets, n) }) {
				continue
			}
			env := j.Environment.Value
			if j.Environment.Kind == yaml.MappingNode {
				if n := mapValue(&j.Environment, "name"); n != nil {
					env = n.Value
				}
			}
			switch {
			case env == "":
				problems = append(problems, fmt.Sprintf("%s: job %s names a deploy secret outside an environment: repository secrets are readable from any branch", w.Name, j.ID))
			case !slices.ContainsFunc(j.Steps, (*Step).Deploys) && env != DriftEnvironment:
				problems = append(problems, fmt.Sprintf("%s: job %s reads the deploy secrets in environment %q, want %q", w.Name, j.ID, env, DriftEnvironment))
			}
		}
	}
	return problems
}
