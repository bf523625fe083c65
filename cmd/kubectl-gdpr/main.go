// Command kubectl-gdpr is the kubectl plugin of crm-privacy-operator (`kubectl gdpr …`):
// the DPO's and the platform team's view of the register, retention plans and access.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Exit codes scripts can rely on.
const (
	exitOK    = 0
	exitError = 1 // the command could not run (bad flags, cluster unreachable)
	// exitFindings means the command ran and found a problem a script must act on: a
	// register whose hash chain does not verify, non-compliant contacts, drifted grants.
	exitFindings = 2
)

// findingsError is returned by a command that ran but found problems; main exits with
// exitFindings instead of exitError.
type findingsError struct{ msg string }

func (e *findingsError) Error() string { return e.msg }

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "kubectl-gdpr",
		Short:         "Inspect what crm-privacy-operator enforces on your CRM databases",
		SilenceUsage:  true,
		SilenceErrors: true,
		// Help and usage say `kubectl gdpr …`, as kubectl runs the plugin.
		Annotations: map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl gdpr"},
	}
	opts := &globalOptions{}
	opts.addFlags(root)
	for _, add := range subcommands {
		root.AddCommand(add(opts))
	}
	root.AddCommand(&cobra.Command{
		Use:   "version",
		Short: "Print the plugin version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), version)
			return err
		},
	})
	return root
}

// subcommands are the plugin's commands; each file adds its own.
var subcommands = []func(*globalOptions) *cobra.Command{}

func main() {
	if err := newRootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		var findings *findingsError
		if errors.As(err, &findings) {
			os.Exit(exitFindings)
		}
		os.Exit(exitError)
	}
	os.Exit(exitOK)
}
