package awssim

import "encoding/json"

// Security Hub (restJson1, POST /findings/import): BatchImportFindings, as aws-behaviour.md §7 gives it: 1 to 100
// findings; the caller must be each finding's AwsAccountId, with that account's default product ARN; the answer counts
// successes and lists failures with an error code.
func securityHubOps() map[string]handler {
	return map[string]handler{"BatchImportFindings": shBatchImportFindings}
}

func shBatchImportFindings(s *Server, c *call) (any, error) {
	var findings []map[string]json.RawMessage
	if err := c.decode("Findings", &findings); err != nil {
		return nil, err
	}
	if len(findings) < 1 || len(findings) > 100 {
		return nil, errf(400, "InvalidInputException", "Findings must hold 1 to 100 findings.")
	}
	failed := []map[string]string{}
	ok := 0
	for _, f := range findings {
		var id, acct, product, state string
		_ = json.Unmarshal(f["Id"], &id)
		_ = json.Unmarshal(f["AwsAccountId"], &acct)
		_ = json.Unmarshal(f["ProductArn"], &product)
		for _, req := range []string{"SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "CreatedAt", "UpdatedAt", "Title", "Description", "Resources"} {
			if _, has := f[req]; !has {
				failed = append(failed, map[string]string{"Id": id, "ErrorCode": "InvalidInput", "ErrorMessage": "Finding is missing required field " + req})
				goto next
			}
		}
		if acct != c.acct.id || product != s.w.arn("securityhub", c.region, c.acct.id, "product/"+c.acct.id+"/default") {
			failed = append(failed, map[string]string{"Id": id, "ErrorCode": "AccessDeniedException",
				"ErrorMessage": "The finding's AwsAccountId and ProductArn must be the caller's account and region."})
			goto next
		}
		_ = json.Unmarshal(f["RecordState"], &state)
		if state == "" {
			state = "ACTIVE"
		}
		s.w.imported[c.acct.id+"/"+id] = state
		ok++
	next:
	}
	return map[string]any{"FailedCount": len(failed), "SuccessCount": ok, "FailedFindings": failed}, nil
}

// Imported counts the findings Security Hub holds, by account.
func (s *Server) Imported() map[string]int {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	out := map[string]int{}
	for k := range s.w.imported {
		out[k[:12]]++
	}
	return out
}

// FindingState is the RecordState of an imported finding ("" when Security Hub does not hold it).
func (s *Server) FindingState(acct, id string) string {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	return s.w.imported[acct+"/"+id]
}
