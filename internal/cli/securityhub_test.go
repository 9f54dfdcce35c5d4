package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/trailwatch/trailwatch/internal/report"
)

func TestGoldenASFF(t *testing.T) {
	r := demoReport(t)
	var b bytes.Buffer
	if err := report.WriteASFF(&b, r, extras().Frameworks, "us-east-1"); err != nil {
		t.Fatal(err)
	}
	golden(t, "demo.asff.golden", b.Bytes())
	var doc struct{ Findings []map[string]any }
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil || len(doc.Findings) != len(r.Findings) {
		t.Fatalf("%v: %d findings", err, len(doc.Findings))
	}
	for _, f := range doc.Findings {
		for _, k := range []string{"SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "CreatedAt", "UpdatedAt", "Title", "Description", "Resources", "Severity", "Compliance"} {
			if _, ok := f[k]; !ok {
				t.Errorf("%v lacks %s", f["Id"], k)
			}
		}
		if !strings.Contains(f["ProductArn"].(string), ":"+f["AwsAccountId"].(string)+":product/") {
			t.Errorf("product ARN %v", f["ProductArn"])
		}
	}
	if strings.Contains(b.String(), "null") || strings.Contains(b.String(), `: ""`) {
		t.Error("ASFF carries null or empty members")
	}
}

func TestScanImportsIntoSecurityHub(t *testing.T) {
	srv := orgEnv(t, "100000000000")
	code, _, errs := runAt(t, srv.Now(), "scan", "--org", "--security-hub", "--format", "json", "--fail-on", "none")
	if code != 0 || !strings.Contains(errs, "findings imported, 0 failed") {
		t.Fatalf("exit %d\n%s", code, errs)
	}
	imported := srv.Imported()
	if len(imported) != 4 {
		t.Errorf("findings imported into %d accounts, want all 4: %v", len(imported), imported)
	}
}
