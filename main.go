// Command koprogo-monitoring is the Pulumi program that deploys the KoproGo
// monitoring stack onto a Docker host.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/koprogo/koprogo-monitoring/program"
)

func main() { pulumi.Run(program.Run) }
