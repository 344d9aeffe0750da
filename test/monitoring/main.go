// monitoring-check: facts about the chart's monitoring objects, from the real parsers, for
// test/monitoring.test.ts (which builds this program with `go build` and runs it). Three commands, each
// reading JSON on stdin and writing JSON on stdout:
//
//	selectors  [{"id","expr"}] -> per expression: the parse error, or every vector selector (metric name and
//	           matchers) and every label an aggregation or a vector matching names, with the metric names
//	           of the selectors below it (Prometheus' own PromQL parser, promql/parser)
//	scrape     the text of a /metrics scrape -> every series name a query can select (histograms as
//	           _bucket, _sum, _count) with the labels its samples carry and their values
//	           (prometheus/common/expfmt)
//	crd DIR    [objects] -> per object: the errors of validating it against the openAPIV3Schema of the
//	           CustomResourceDefinition in DIR that serves its group, version and kind (JSON Schema
//	           validator github.com/santhosh-tekuri/jsonschema). Fields a schema does not declare are
//	           errors, as with kubectl's default strict field validation.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: monitoring-check selectors|scrape|crd DIR")
	}
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail(err.Error())
	}
	var out any
	switch os.Args[1] {
	case "selectors":
		out, err = selectors(input)
	case "scrape":
		out, err = scrape(input)
	case "crd":
		if len(os.Args) != 3 {
			fail("usage: monitoring-check crd DIR")
		}
		out, err = validateObjects(os.Args[2], input)
	default:
		fail("unknown command " + os.Args[1])
	}
	if err != nil {
		fail(err.Error())
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fail(err.Error())
	}
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "monitoring-check:", msg)
	os.Exit(2)
}

// ---- selectors ----

type matcher struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Value string `json:"value"`
}

type selector struct {
	Metric   string    `json:"metric"`
	Matchers []matcher `json:"matchers"`
}

// labelUse is a label named by an aggregation (by/without) or a vector matching (on/ignoring,
// group_left/group_right), with the metrics of the selectors it applies to.
type labelUse struct {
	Label   string   `json:"label"`
	Clause  string   `json:"clause"`
	Metrics []string `json:"metrics"`
}

type exprFacts struct {
	ID        string     `json:"id"`
	Error     string     `json:"error,omitempty"`
	Selectors []selector `json:"selectors"`
	Labels    []labelUse `json:"labels"`
}

func selectors(input []byte) (any, error) {
	var exprs []struct {
		ID   string `json:"id"`
		Expr string `json:"expr"`
	}
	if err := json.Unmarshal(input, &exprs); err != nil {
		return nil, err
	}
	// Default options: the functions and syntax a Prometheus server accepts without feature flags.
	promql := parser.NewParser(parser.Options{})
	out := make([]exprFacts, 0, len(exprs))
	for _, e := range exprs {
		facts := exprFacts{ID: e.ID, Selectors: []selector{}, Labels: []labelUse{}}
		expr, err := promql.ParseExpr(e.Expr)
		if err != nil {
			facts.Error = err.Error()
			out = append(out, facts)
			continue
		}
		parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
			switch n := node.(type) {
			case *parser.VectorSelector:
				facts.Selectors = append(facts.Selectors, toSelector(n))
			case *parser.AggregateExpr:
				clause := "by"
				if n.Without {
					clause = "without"
				}
				facts.Labels = append(facts.Labels, uses(n.Grouping, clause, metricsBelow(n.Expr))...)
			case *parser.BinaryExpr:
				if m := n.VectorMatching; m != nil {
					below := append(metricsBelow(n.LHS), metricsBelow(n.RHS)...)
					clause := "ignoring"
					if m.On {
						clause = "on"
					}
					facts.Labels = append(facts.Labels, uses(m.MatchingLabels, clause, below)...)
					// group_left / group_right copy these labels from the "one" side.
					one := n.RHS
					if m.Card == parser.CardOneToMany {
						one = n.LHS
					}
					facts.Labels = append(facts.Labels, uses(m.Include, "group", metricsBelow(one))...)
				}
			}
			return nil
		})
		out = append(out, facts)
	}
	return out, nil
}

func toSelector(n *parser.VectorSelector) selector {
	s := selector{Metric: n.Name, Matchers: []matcher{}}
	for _, m := range n.LabelMatchers {
		if m.Name == model.MetricNameLabel {
			if s.Metric == "" {
				s.Metric = m.Value
			}
			continue
		}
		s.Matchers = append(s.Matchers, matcher{Name: m.Name, Type: m.Type.String(), Value: m.Value})
	}
	return s
}

func metricsBelow(node parser.Node) []string {
	var names []string
	parser.Inspect(node, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			names = append(names, toSelector(vs).Metric)
		}
		return nil
	})
	return names
}

func uses(labels []string, clause string, metrics []string) []labelUse {
	out := make([]labelUse, 0, len(labels))
	for _, l := range labels {
		out = append(out, labelUse{Label: l, Clause: clause, Metrics: metrics})
	}
	return out
}

// ---- scrape ----

func scrape(input []byte) (any, error) {
	// Legacy names ([a-zA-Z_:][a-zA-Z0-9_:]*): what every Prometheus version can select without quoting.
	p := expfmt.NewTextParser(model.LegacyValidation)
	families, err := p.TextToMetricFamilies(bytes.NewReader(input))
	if err != nil {
		return nil, err
	}
	// series name -> label name -> label values seen
	series := map[string]map[string]map[string]bool{}
	add := func(name string, labels []*dto.LabelPair, extra ...string) {
		set := series[name]
		if set == nil {
			set = map[string]map[string]bool{}
			series[name] = set
		}
		put := func(label, value string) {
			if set[label] == nil {
				set[label] = map[string]bool{}
			}
			set[label][value] = true
		}
		for _, l := range labels {
			put(l.GetName(), l.GetValue())
		}
		for i := 0; i+1 < len(extra); i += 2 {
			put(extra[i], extra[i+1])
		}
	}
	for name, family := range families {
		for _, m := range family.GetMetric() {
			labels := m.GetLabel()
			switch family.GetType() {
			case dto.MetricType_HISTOGRAM:
				for _, b := range m.GetHistogram().GetBucket() {
					add(name+"_bucket", labels, model.BucketLabel, strconv.FormatFloat(b.GetUpperBound(), 'g', -1, 64))
				}
				add(name+"_bucket", labels, model.BucketLabel, "+Inf")
				add(name+"_sum", labels)
				add(name+"_count", labels)
			case dto.MetricType_SUMMARY:
				for _, q := range m.GetSummary().GetQuantile() {
					add(name, labels, model.QuantileLabel, strconv.FormatFloat(q.GetQuantile(), 'g', -1, 64))
				}
				add(name+"_sum", labels)
				add(name+"_count", labels)
			default:
				add(name, labels)
			}
		}
	}
	out := map[string]map[string][]string{}
	for name, set := range series {
		labels := map[string][]string{}
		for label, values := range set {
			list := make([]string, 0, len(values))
			for v := range values {
				list = append(list, v)
			}
			sort.Strings(list)
			labels[label] = list
		}
		out[name] = labels
	}
	return out, nil
}

// ---- crd ----

type objectResult struct {
	Kind   string   `json:"kind"`
	Name   string   `json:"name"`
	Errors []string `json:"errors"`
}

func validateObjects(dir string, input []byte) (any, error) {
	var objects []map[string]any
	if err := json.Unmarshal(input, &objects); err != nil {
		return nil, err
	}
	schemas, err := loadCRDSchemas(dir)
	if err != nil {
		return nil, err
	}
	out := make([]objectResult, 0, len(objects))
	for _, obj := range objects {
		apiVersion, _ := obj["apiVersion"].(string)
		kind, _ := obj["kind"].(string)
		name, _ := obj["metadata"].(map[string]any)["name"].(string)
		result := objectResult{Kind: kind, Name: name, Errors: []string{}}
		schema, ok := schemas[apiVersion+"/"+kind]
		if !ok {
			result.Errors = append(result.Errors, fmt.Sprintf("no CustomResourceDefinition in %s serves %s %s", dir, apiVersion, kind))
			out = append(out, result)
			continue
		}
		// The schema validates plain JSON values: round-trip the object through encoding/json.
		raw, _ := json.Marshal(obj)
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return nil, err
		}
		if err := schema.Validate(inst); err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if strings.TrimSpace(line) != "" {
					result.Errors = append(result.Errors, strings.TrimRight(line, " "))
				}
			}
		}
		out = append(out, result)
	}
	return out, nil
}

// loadCRDSchemas compiles the openAPIV3Schema of every served version of every CRD in dir, keyed by
// "<group>/<version>/<kind>".
func loadCRDSchemas(dir string) (map[string]*jsonschema.Schema, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no CRD files in %s", dir)
	}
	out := map[string]*jsonschema.Schema{}
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		var crd struct {
			Kind string `json:"kind"`
			Spec struct {
				Group string `json:"group"`
				Names struct {
					Kind string `json:"kind"`
				} `json:"names"`
				Versions []struct {
					Name   string `json:"name"`
					Served bool   `json:"served"`
					Schema struct {
						OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
					} `json:"schema"`
				} `json:"versions"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(text, &crd); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if crd.Kind != "CustomResourceDefinition" {
			continue
		}
		for _, v := range crd.Spec.Versions {
			if !v.Served || v.Schema.OpenAPIV3Schema == nil {
				continue
			}
			strict(v.Schema.OpenAPIV3Schema, true)
			raw, _ := json.Marshal(v.Schema.OpenAPIV3Schema)
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if err != nil {
				return nil, err
			}
			url := fmt.Sprintf("file:///%s/%s/%s.json", crd.Spec.Group, v.Name, crd.Spec.Names.Kind)
			c := jsonschema.NewCompiler()
			if err := c.AddResource(url, doc); err != nil {
				return nil, err
			}
			schema, err := c.Compile(url)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", file, v.Name, err)
			}
			out[crd.Spec.Group+"/"+v.Name+"/"+crd.Spec.Names.Kind] = schema
		}
	}
	return out, nil
}

// strict makes every object schema that lists its properties refuse others, unless it preserves
// unknown fields; the root's apiVersion, kind and metadata are declared by the API server itself.
func strict(schema map[string]any, root bool) {
	if props, ok := schema["properties"].(map[string]any); ok {
		if root {
			for _, k := range []string{"apiVersion", "kind", "metadata"} {
				if _, ok := props[k]; !ok {
					props[k] = map[string]any{}
				}
			}
		}
		if _, set := schema["additionalProperties"]; !set && schema["x-kubernetes-preserve-unknown-fields"] != true {
			schema["additionalProperties"] = false
		}
		for _, p := range props {
			if m, ok := p.(map[string]any); ok {
				strict(m, false)
			}
		}
	}
	for _, key := range []string{"items", "additionalProperties"} {
		if m, ok := schema[key].(map[string]any); ok {
			strict(m, false)
		}
	}
	for _, key := range []string{"allOf", "anyOf", "oneOf"} {
		if list, ok := schema[key].([]any); ok {
			for _, s := range list {
				if m, ok := s.(map[string]any); ok {
					strict(m, false)
				}
			}
		}
	}
}
