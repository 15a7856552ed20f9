package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	clickfunnelsv1 "github.com/hooknorm/hooknorm/gen/hooknorm/clickfunnels/v1"
	optionsv1 "github.com/hooknorm/hooknorm/gen/hooknorm/options/v1"
	webflowv1 "github.com/hooknorm/hooknorm/gen/hooknorm/webflow/v1"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

func newTypesCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "types",
		Short: "List every event type hooknorm knows, with its oneof case and message",
		Long: `types lists every event type of both providers as the schema defines it: the type as the
provider spells it (older spellings that map to the same case in brackets), the oneof case a
subscriber switches on, and the Protobuf message of its data. It needs no server.`,
		Example: `  hooknorm types
  hooknorm types | grep orders/`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 8, 2, ' ', 0)
			fmt.Fprintln(w, "PROVIDER\tEVENT TYPE\tCASE\tMESSAGE")
			for _, provider := range []struct {
				name string
				desc protoreflect.MessageDescriptor
			}{
				{"clickfunnels", (&clickfunnelsv1.Event{}).ProtoReflect().Descriptor()},
				{"webflow", (&webflowv1.Event{}).ProtoReflect().Descriptor()},
			} {
				cases := provider.desc.Oneofs().ByName("event").Fields()
				for i := range cases.Len() {
					fd := cases.Get(i)
					spellings := proto.GetExtension(fd.Options(), optionsv1.E_EventType).([]string)
					if len(spellings) == 0 {
						continue // the unknown case
					}
					typ := spellings[0]
					if len(spellings) > 1 {
						typ += " (" + strings.Join(spellings[1:], ", ") + ")"
					}
					fmt.Fprintf(w, "%s\t%s\t%s.%s\t%s\n", provider.name, typ, provider.name, fd.Name(), fd.Message().FullName())
				}
			}
			return w.Flush()
		},
	}
}
