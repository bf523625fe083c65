package main

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/printers"

	privacyv1alpha1 "github.com/crm-privacy-operator/crm-privacy-operator/api/v1alpha1"
)

// Output formats of the -o flag. Every command with structured output prints it through
// k8s.io/cli-runtime's printers, so -o behaves as in kubectl and its plugins: json, yaml,
// kyaml, jsonpath=TEMPLATE, jsonpath-file=FILE, jsonpath-as-json=TEMPLATE, and name where
// each row of the output is about one object.
const (
	outputTable = "table"
	outputJSON  = "json"
	outputYAML  = "yaml"
	// outputName prints `kind.group/name` of the object each row is about, one a line, as
	// `kubectl get -o name`. A command allows it by listing it in checkOutput; its rows
	// implement objectRow.
	outputName = "name"
)

// Format lists for checkOutput and outputUsage. Listing outputJSON allows every printer
// format (yaml, kyaml, jsonpath…); outputName must be listed on its own.
var (
	// tableOrStructured is a command whose output is a report, not a list of objects.
	tableOrStructured = []string{outputTable, outputJSON, outputYAML}
	// tableStructuredOrName is a command whose rows each name one object (objectRow).
	tableStructuredOrName = []string{outputTable, outputJSON, outputYAML, outputName}
)

// checkOutput rejects an unknown -o value (or a JSONPath that does not parse) before the
// command reads the cluster, listing the formats the command allows. Listing outputJSON
// allows every printer format, so a command hands any format but its own (the table, say)
// to printStructured: test `output != outputTable` or isStructured(output), never
// `output == outputJSON`.
func checkOutput(format string, allowed ...string) error {
	if slices.Contains(allowed, outputJSON) && isStructured(format) {
		_, err := newPrintFlags(slices.Contains(allowed, outputName)).toPrinter(format)
		if genericclioptions.IsNoCompatiblePrinterError(err) {
			return unknownOutput(format, allowed)
		}
		return err
	}
	if slices.Contains(allowed, format) {
		return nil
	}
	return unknownOutput(format, allowed)
}

func unknownOutput(format string, allowed []string) error {
	return fmt.Errorf("unknown output format %q: use one of %s", format, strings.Join(expandFormats(allowed), ", "))
}

// isStructured tells whether format is one the printers handle (json, yaml, name,
// jsonpath=…), rather than the table or a command's own format.
func isStructured(format string) bool {
	_, err := newPrintFlags(true).toPrinter(format)
	return !genericclioptions.IsNoCompatiblePrinterError(err)
}

// outputUsage is the help of a command's -o flag.
func outputUsage(allowed ...string) string {
	formats := expandFormats(allowed)
	if len(formats) < 2 {
		return "output format: " + strings.Join(formats, "")
	}
	return "output format: " + strings.Join(formats[:len(formats)-1], ", ") + " or " + formats[len(formats)-1]
}

// expandFormats spells out the formats a command allows: outputJSON stands for every
// format of the JSON/YAML and JSONPath printers.
func expandFormats(allowed []string) []string {
	var out []string
	add := func(formats ...string) {
		for _, f := range formats {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	structured := slices.Contains(allowed, outputJSON)
	for _, a := range allowed {
		switch {
		case structured && (a == outputJSON || a == outputYAML || a == outputName):
			add(newPrintFlags(slices.Contains(allowed, outputName)).allowedFormats()...)
		default:
			add(a)
		}
	}
	return out
}

// printFlags are cli-runtime's printer flags behind -o.
type printFlags struct {
	jsonYAML *genericclioptions.JSONYamlPrintFlags
	jsonPath *genericclioptions.JSONPathPrintFlags
	// name is nil when the command's rows name no object.
	name *genericclioptions.NamePrintFlags
}

func newPrintFlags(withName bool) printFlags {
	f := printFlags{
		jsonYAML: genericclioptions.NewJSONYamlPrintFlags(),
		// Missing keys print nothing, as kubectl's -o jsonpath does by default.
		jsonPath: genericclioptions.NewJSONPathPrintFlags("", true),
	}
	if withName {
		f.name = genericclioptions.NewNamePrintFlags("")
	}
	return f
}

// allowedFormats lists the formats, with the JSONPath ones as they are written on the
// command line.
func (f printFlags) allowedFormats() []string {
	out := f.jsonYAML.AllowedFormats()
	if f.name != nil {
		out = append(out, f.name.AllowedFormats()...)
	}
	for _, t := range f.jsonPath.AllowedFormats() {
		if t == "jsonpath-file" {
			out = append(out, t+"=FILE")
		} else {
			out = append(out, t+"=TEMPLATE")
		}
	}
	return out
}

// toPrinter returns the printer of format, a NoCompatiblePrinterError when no printer
// handles it, or the error of a printer that does but cannot be built (a JSONPath that
// does not parse, a jsonpath-file that cannot be read).
func (f printFlags) toPrinter(format string) (printers.ResourcePrinter, error) {
	// An empty format would select the name printer.
	if format == "" {
		return nil, genericclioptions.NoCompatiblePrinterError{OutputFormat: &format}
	}
	if p, err := f.jsonYAML.ToPrinter(format); !genericclioptions.IsNoCompatiblePrinterError(err) {
		return p, err
	}
	if f.name != nil {
		if p, err := f.name.ToPrinter(format); !genericclioptions.IsNoCompatiblePrinterError(err) {
			return p, err
		}
	}
	return f.jsonPath.ToPrinter(format)
}

// printStructured writes v in a printer format (see checkOutput). v keeps the JSON shape
// it has with encoding/json, a list stays a JSON array; -o name prints the objects v's
// rows are about (v is a slice of objectRow), and a runtime.Object prints as kubectl
// prints it.
func printStructured(w io.Writer, format string, v any) error {
	printer, err := newPrintFlags(true).toPrinter(format)
	if err != nil {
		if genericclioptions.IsNoCompatiblePrinterError(err) {
			return fmt.Errorf("format %q is not structured", format)
		}
		return err
	}
	if jsonPath, ok := printer.(*printers.JSONPathPrinter); ok {
		if _, isObject := v.(runtime.Object); !isObject {
			return executeJSONPath(w, jsonPath, format, v)
		}
	}
	obj, err := printable(format, v)
	if err != nil {
		return err
	}
	return printer.PrintObj(obj, w)
}

// executeJSONPath runs a JSONPath on v as kubectl runs it on an object: with whole numbers
// as integers, so that a filter such as [?(@.pending>0)] compares them. (The printer itself
// decodes anything but an unstructured object with encoding/json, into float64.)
func executeJSONPath(w io.Writer, p *printers.JSONPathPrinter, format string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("while encoding the output: %w", err)
	}
	var data any
	if err := utiljson.Unmarshal(raw, &data); err != nil {
		return fmt.Errorf("while encoding the output: %w", err)
	}
	if err := p.Execute(w, data); err != nil {
		return fmt.Errorf("error executing %s: %w", format, err)
	}
	return nil
}

// printable converts v into the runtime.Object the printers take.
func printable(format string, v any) (runtime.Object, error) {
	if obj, ok := v.(runtime.Object); ok {
		return typed(obj), nil
	}
	if strings.EqualFold(format, outputName) {
		return namedObjects(v)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("while encoding the output: %w", err)
	}
	// The printers print a runtime.Unknown's JSON as it is (indented, or converted to YAML).
	return &runtime.Unknown{Raw: data, ContentType: runtime.ContentTypeJSON}, nil
}

// typed sets the apiVersion and kind of an object read with a typed client, which leaves
// them empty, so that it prints as kubectl prints it.
func typed(obj runtime.Object) runtime.Object {
	if !obj.GetObjectKind().GroupVersionKind().Empty() {
		return obj
	}
	if gvks, _, err := pluginScheme().ObjectKinds(obj); err == nil && len(gvks) > 0 {
		obj = obj.DeepCopyObject()
		obj.GetObjectKind().SetGroupVersionKind(gvks[0])
	}
	return obj
}

// objectRow is a row of a command's output that is about one object of the API group.
type objectRow interface {
	object() objectRef
}

// objectRef names an object of privacy.crmoperator.io.
type objectRef struct {
	kind, namespace, name string
}

// namedObjects turns a slice of objectRow into the list the name printer prints, each
// object once, in the rows' order.
func namedObjects(v any) (*unstructured.UnstructuredList, error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice {
		return nil, fmt.Errorf("-o name is not available here: the output is not a list of objects")
	}
	list := &unstructured.UnstructuredList{}
	list.SetAPIVersion("v1")
	list.SetKind("List")
	seen := map[objectRef]bool{}
	for i := range rv.Len() {
		row, ok := rv.Index(i).Interface().(objectRow)
		if !ok {
			return nil, fmt.Errorf("-o name is not available here: a %T names no object", rv.Index(i).Interface())
		}
		ref := row.object()
		if seen[ref] {
			continue
		}
		seen[ref] = true
		u := unstructured.Unstructured{}
		u.SetGroupVersionKind(privacyv1alpha1.GroupVersion.WithKind(ref.kind))
		u.SetNamespace(ref.namespace)
		u.SetName(ref.name)
		list.Items = append(list.Items, u)
	}
	return list, nil
}
