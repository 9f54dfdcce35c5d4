package filterpattern

import "testing"

// BenchmarkCovers judges stored patterns against the published ones, as scan --alarms, iac --alarms and alarms test
// do for each distinct filter: the published 4.5 pattern written another way, azul's two-property exclusion of 4.1,
// and a regular expression with {1,1000} repetitions (field trial, issue 24: 10 s before its samples were built
// without expanding the repetitions).
func BenchmarkCovers(b *testing.B) {
	for _, bc := range []struct{ name, stored, required string }{
		{"published-4.5", "{ $.eventName=StopLogging || $.eventName=StartLogging || $.eventName=DeleteTrail || $.eventName=UpdateTrail || $.eventName=CreateTrail }", cisTrailChanges},
		{"azul-4.1", `{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) && ($.eventSource != "s3.amazonaws.com" || $.eventName != "GetObject" || $.userIdentity.invokedBy != "cloudfront.amazonaws.com") }`, cisUnauthorized},
		{"regex-repetitions", `{ $.eventName = %[A-Za-z0-9]{1,1000}[a-z]{1,1000}% || $.errorCode = %[A-Z]{1,1000}[a-z]{1,1000}[0-9]{1,1000}% }`, cisUnauthorized},
	} {
		stored, err := Parse(bc.stored)
		if err != nil {
			b.Fatal(err)
		}
		required, _ := Parse(bc.required)
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Covers(stored, required); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
