package config

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Load reads and validates the current stack's configuration.
//
// ctx only answers for keys one asks for, so on its own a mistyped key
// would be silently ignored. The engine hands a Go program the stack's whole
// configuration in the PULUMI_CONFIG environment variable (pulumi.EnvConfig,
// read by pulumi.Run): every key of this project's namespace found there is
// passed to Parse too, so an unknown one is refused before any resource is
// registered. (An Automation API inline program gets its configuration
// without that variable; its driver must set it to get the same check.)
func Load(ctx *pulumi.Context) (Settings, error) {
	project := ctx.Project() // Project, as Pulumi.yaml names it
	values := map[string]string{}
	secret := map[string]bool{}
	read := func(name string) {
		full := project + ":" + name
		if v, ok := ctx.GetConfig(full); ok {
			values[name] = v
			secret[name] = ctx.IsConfigSecret(full)
		}
	}
	for _, k := range Keys {
		read(k.Name)
	}
	delivered, err := deliveredKeys(project)
	if err != nil {
		return Settings{}, err
	}
	for _, name := range delivered {
		read(name)
	}
	s, err := Parse(ctx.Stack(), values, secret)
	if err != nil {
		return Settings{}, fmt.Errorf("invalid configuration for stack %q:\n%w", ctx.Stack(), err)
	}
	return s, nil
}

// deliveredKeys lists the keys of the project's namespace in the
// configuration the engine delivered to this process.
func deliveredKeys(project string) ([]string, error) {
	raw := os.Getenv(pulumi.EnvConfig)
	if raw == "" {
		return nil, nil
	}
	var all map[string]string
	if err := json.Unmarshal([]byte(raw), &all); err != nil {
		return nil, fmt.Errorf("config: %s is not a JSON object: %w", pulumi.EnvConfig, err)
	}
	var out []string
	for full := range all {
		if name, ok := strings.CutPrefix(full, project+":"); ok {
			out = append(out, name)
		}
	}
	return out, nil
}
