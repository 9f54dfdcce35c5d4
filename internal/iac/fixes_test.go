package iac

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"gopkg.in/yaml.v3"

	"github.com/trailwatch/trailwatch/internal/model"
)

// TestIaCFixesFix applies each integration finding's fix to a copy of its example, as a user would (new resources
// added, the named attributes set in the named declarations), and judges the copy again: the trail must PASS. The
// oracle is the rule itself, run on the edited code, not the fix text: a fix that names the wrong role, grants the
// wrong streams or forgets the ":*" fails it. The fixes come from the fix plan's steps (remediate.FixIaC).
func TestIaCFixesFix(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/examples/*")
	tried := 0
	for _, dir := range dirs {
		fs := judge(t, []string{dir}, Options{})
		if len(fs) != 1 || fs[0].ResourceType != model.TypeTrail || fs[0].Fix == "" || fs[0].Location == nil {
			continue
		}
		f := fs[0]
		if strings.HasSuffix(f.Location.File, ".json") && strings.Contains(f.Location.File, "plan") {
			continue // a plan is not edited: its configuration is
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			if m := rawPlaceholder.FindString(f.Fix); m != "" {
				t.Errorf("the fix holds trailwatch's own placeholder %s, which the deployed resource would receive literally:\n%s", m, f.Fix)
			}
			tmp := t.TempDir()
			copyDir(t, dir, tmp)
			file := filepath.Join(tmp, filepath.Base(f.Location.File))
			if strings.HasSuffix(file, ".tf") {
				applyTerraformFix(t, dir, tmp, file, f.Fix)
			} else {
				applyCloudFormationFix(t, file, f.Fix)
			}
			after := judge(t, []string{tmp}, Options{})
			// What only deployment decides (a condition on the region) stays unknown; everything else passes.
			unknownBefore := strings.Contains(strings.Join(verdicts(fs), " "), "VALUE_UNKNOWN")
			if len(after) != 1 || after[0].Status != model.StatusPass && !(unknownBefore && verdicts(after)[0] == after[0].ResourceID+" UNKNOWN VALUE_UNKNOWN") {
				b, _ := os.ReadFile(file)
				t.Errorf("after the fix: %v\nfix:\n%s\nedited:\n%s", verdicts(after), f.Fix, b)
			}
		})
		tried++
	}
	if tried < 12 {
		t.Errorf("only %d examples have a fix to try", tried)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	es, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.IsDir() {
			os.MkdirAll(filepath.Join(to, e.Name()), 0o755)
			copyDir(t, filepath.Join(from, e.Name()), filepath.Join(to, e.Name()))
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(to, e.Name()), b, 0o644)
	}
}

// rawPlaceholder is an adapter's placeholder ("${region}") as text in a fix; Terraform's $${region} is its literal.
var rawPlaceholder = regexp.MustCompile(`\$?\$\{(partition|region|account)\}`)

var editRe = regexp.MustCompile(`^# in (\S+) \(([^:]+):(\d+)\)( Properties)?(, add to Policies)?:$`)

// fixChunks splits a fix into new resources (text before any edit) and edits: the declaration's address and the
// lines to set in it.
func fixChunks(fix string) (resources string, edits map[string]string) {
	edits = map[string]string{}
	var cur string
	for _, l := range strings.Split(fix, "\n") {
		if m := editRe.FindStringSubmatch(l); m != nil {
			cur = m[1] + "@" + m[2]
			continue
		}
		if cur == "" {
			resources += l + "\n"
			continue
		}
		if strings.HasPrefix(l, "resource ") {
			cur = ""
			resources += l + "\n"
			continue
		}
		edits[cur] += l + "\n"
	}
	return resources, edits
}

// applyTerraformFix sets each edit's attributes in the block the edit names (in whichever file of the example
// declares it: a module's, too) and appends new resources to the trail's file.
func applyTerraformFix(t *testing.T, orig, dir, file, fix string) {
	t.Helper()
	resources, edits := fixChunks(fix)
	for where, lines := range edits {
		addr, src, _ := strings.Cut(where, "@")
		path := filepath.Join(dir, strings.TrimPrefix(src, orig+string(filepath.Separator)))
		text, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("the fix edits %s in %s: %v", addr, src, err)
		}
		f, diags := hclwrite.ParseConfig(text, path, hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		parts := strings.Split(strings.Split(addr, "[")[0], ".")
		blk := f.Body().FirstMatchingBlock("resource", parts[len(parts)-2:])
		if blk == nil {
			t.Fatalf("the fix edits %s, which %s does not declare", addr, path)
		}
		ef, diags := hclwrite.ParseConfig([]byte(lines), "edit", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("the edit of %s does not parse: %v\n%s", addr, diags, lines)
		}
		for name, a := range ef.Body().Attributes() {
			blk.Body().SetAttributeRaw(name, a.Expr().BuildTokens(nil))
		}
		if err := os.WriteFile(path, f.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	text, _ := os.ReadFile(file)
	if err := os.WriteFile(file, append(text, []byte("\n"+resources)...), 0o644); err != nil {
		t.Fatal(err)
	}
}

func applyCloudFormationFix(t *testing.T, file, fix string) {
	t.Helper()
	var resources string
	edits := map[string]string{}
	var cur string
	adding := false
	for _, l := range strings.Split(fix, "\n") {
		switch m := editRe.FindStringSubmatch(l); {
		case l == "# add under Resources:":
			adding, cur = true, ""
		case m != nil:
			adding, cur = false, m[1]
		case adding:
			resources += l + "\n"
		case cur != "":
			edits[cur] += l + "\n"
		}
	}
	src, _ := os.ReadFile(file)
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	res := mapGet(doc.Content[0], "Resources")
	if resources != "" {
		var add yaml.Node
		if err := yaml.Unmarshal([]byte(resources), &add); err != nil {
			t.Fatalf("the new resources do not parse: %v\n%s", err, resources)
		}
		res.Content = append(res.Content, add.Content[0].Content...)
	}
	for id, lines := range edits {
		r := mapGet(res, id)
		if r == nil {
			t.Fatalf("the fix edits %s, which %s does not declare", id, file)
		}
		props := mapGet(r, "Properties")
		var e yaml.Node
		if err := yaml.Unmarshal([]byte(lines), &e); err != nil {
			t.Fatalf("the edit of %s does not parse: %v\n%s", id, err, lines)
		}
		for i := 0; i+1 < len(e.Content[0].Content); i += 2 {
			k, v := e.Content[0].Content[i], e.Content[0].Content[i+1]
			if old := mapGet(props, k.Value); old != nil && k.Value == "Policies" && old.Kind == yaml.SequenceNode {
				old.Content = append(old.Content, v.Content...)
				continue
			}
			mapSet(props, k.Value, v)
		}
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(file, out, 0o644)
}

func mapGet(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func mapSet(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
}
