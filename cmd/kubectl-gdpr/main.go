// Command kubectl-gdpr is the kubectl plugin of crm-privacy-operator (`kubectl gdpr …`):
// the DPO's and the platform team's view of the register, retention plans and access.
package main

import (
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
)

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "kubectl-gdpr",
		Short:         "Inspect what crm-privacy-operator enforces on your CRM databases",
		SilenceUsage:  true,
		SilenceErrors: true,
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

func main() {
	if err := newRootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(exitError)
	}
	os.Exit(exitOK)
}
