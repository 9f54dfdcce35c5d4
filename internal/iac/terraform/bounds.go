package terraform

import (
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/trailwatch/trailwatch/internal/iac/limits"
)

// Bounds on the memory one evaluation may take (issue 23: a 1.2 KB file of doubling locals, a doubling concat or
// format("%2000000000s", "x") exhausted memory). Every limit that trips is an ERROR naming it, at the expression's
// file and line, and the value is unknown from there on: nothing is guessed from it.
const (
	// MaxValueSize bounds one evaluated value (the limit CloudFormation shares): the bytes of its strings plus 16 per
	// element, key or number. No trail, log group, role or policy attribute comes near it; a value beyond it is refused.
	MaxValueSize = limits.MaxValueSize
	// MaxExprSize bounds what one expression may build, estimated before it is evaluated from the values it refers
	// to (a template repeating a reference, a for expression over a collection, a function that multiplies its
	// input): an expression that could build more is not evaluated.
	MaxExprSize = 16 << 20
	// instanceBudget times --max-instances bounds the resource and data instances one root evaluates, across all
	// blocks, modules and evaluation passes (module count times resource count multiplies per-block limits).
	instanceBudget = 20
)

// sizeOf measures v as MaxValueSize counts it, stopping once past budget.
func sizeOf(v cty.Value, budget int) int {
	v, _ = v.Unmark()
	if v.IsNull() || !v.IsKnown() {
		return 16
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		return 16 + len(v.AsString())
	case ty.IsPrimitiveType():
		return 16
	case ty.IsObjectType():
		n := 16
		for name := range ty.AttributeTypes() {
			n += len(name) + sizeOf(v.GetAttr(name), budget-n)
			if n > budget {
				return n
			}
		}
		return n
	case v.CanIterateElements():
		n := 16
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			n += sizeOf(e, budget-n)
			if ty.IsMapType() {
				n += sizeOf(k, budget-n)
			}
			if n > budget {
				return n
			}
		}
		return n
	}
	return 16
}

// overLimit records, once per place, that an evaluation limit tripped; the value is unknown with that reason.
func (m *module) overLimit(r hcl.Range, msg string) cty.Value {
	key := fmt.Sprintf("%s:%d:%s", r.Filename, r.Start.Line, msg)
	if !m.st.limitSeen[key] {
		m.st.limitSeen[key] = true
		m.st.limitErrs = append(m.st.limitErrs, FileError{File: r.Filename, Line: r.Start.Line, Msg: msg})
	}
	return cty.DynamicVal.Mark(why(fmt.Sprintf("%s at %s:%d is over an evaluation limit (%s)", exprText(m, r), filepath.Base(r.Filename), r.Start.Line, msg)))
}

// estimate bounds from above what expr can build in ctx: the values it refers to, its literals, and for a for
// expression the collection's length times what each element can build. Functions that can multiply their input
// (format, formatlist, join, replace; range stops at 1,024 elements by itself) check their own result before building it (boundedFunctions).
func estimate(expr hcl.Expression, ctx *hcl.EvalContext) int {
	e, ok := expr.(hclsyntax.Expression)
	if !ok {
		return 0 // JSON syntax: bounded after evaluation only
	}
	w := &estimator{ctx: ctx}
	hclsyntax.Walk(e, w)
	return w.n
}

type estimator struct {
	ctx  *hcl.EvalContext
	n    int
	skip int // depth inside a subtree already counted
}

func (w *estimator) add(n int) {
	if w.n += n; w.n < 0 || w.n > math.MaxInt/4 {
		w.n = math.MaxInt / 4
	}
}

func (w *estimator) Enter(node hclsyntax.Node) hcl.Diagnostics {
	if w.skip > 0 {
		w.skip++
		return nil
	}
	switch e := node.(type) {
	case *hclsyntax.LiteralValueExpr:
		w.add(sizeOf(e.Val, MaxExprSize))
	case *hclsyntax.ScopeTraversalExpr:
		w.add(traversalSize(e.Traversal, w.ctx))
		w.skip = 1
	case *hclsyntax.ForExpr:
		w.add(forSize(e, w.ctx))
		w.skip = 1
	}
	return nil
}

func (w *estimator) Exit(hclsyntax.Node) hcl.Diagnostics {
	if w.skip > 0 {
		w.skip--
	}
	return nil
}

// traversalSize is the size of what a reference names (the whole root value when the path cannot be followed).
func traversalSize(t hcl.Traversal, ctx *hcl.EvalContext) int {
	if v, diags := t.TraverseAbs(ctx); !diags.HasErrors() {
		return sizeOf(v, MaxExprSize)
	}
	for c := ctx; c != nil; c = c.Parent() {
		if v, ok := c.Variables[t.RootName()]; ok {
			return sizeOf(v, MaxExprSize)
		}
	}
	return 0
}

// forSize bounds a for expression: its collection, plus its length times what one element can build, each element
// stood for by the largest.
func forSize(e *hclsyntax.ForExpr, ctx *hcl.EvalContext) int {
	coll := estimate(e.CollExpr, ctx)
	if coll > MaxExprSize {
		return coll
	}
	n, largest, largestKey := 1, cty.DynamicVal, cty.DynamicVal
	if v, diags := e.CollExpr.Value(ctx); !diags.HasErrors() && v.IsWhollyKnown() && !v.IsNull() {
		v, _ = v.UnmarkDeep()
		if v.CanIterateElements() {
			n = max(v.LengthInt(), 1)
			best := -1
			for it := v.ElementIterator(); it.Next(); {
				k, x := it.Element()
				if s := sizeOf(x, MaxExprSize) + sizeOf(k, MaxExprSize); s > best {
					best, largest, largestKey = s, x, k
				}
			}
		}
	}
	child := ctx.NewChild()
	child.Variables = map[string]cty.Value{e.ValVar: largest}
	if e.KeyVar != "" {
		child.Variables[e.KeyVar] = largestKey
	}
	per := 16
	for _, x := range []hclsyntax.Expression{e.KeyExpr, e.ValExpr, e.CondExpr} {
		if x != nil {
			per += estimate(x, child)
		}
	}
	if per > 0 && n > (MaxExprSize*4)/per {
		return MaxExprSize * 4
	}
	return coll + n*per
}

// limitHit carries a function's refusal to build an oversized result out of the cty call into m.eval.
type limitHit struct{ msg string }

// boundedFunctions wraps the functions whose result can be far larger than their arguments so that each checks the
// size of its result before building it; hit receives the refusal.
func boundedFunctions(hit *limitHit) map[string]function.Function {
	refuse := func(fn string, n int) error {
		hit.msg = fmt.Sprintf("%s would build more than the %d-byte evaluation limit of one value", fn, MaxValueSize)
		if n > MaxValueSize+1 {
			hit.msg = fmt.Sprintf("%s would build about %d bytes, more than the %d-byte evaluation limit of one value", fn, n, MaxValueSize)
		}
		return fmt.Errorf("%s", hit.msg)
	}
	return map[string]function.Function{
		"format": bound(stdlib.FormatFunc, func(args []cty.Value) error {
			if n := formatSize(args[0], args[1:], 1); n > MaxValueSize {
				return refuse("format", n)
			}
			return nil
		}),
		"formatlist": bound(stdlib.FormatListFunc, func(args []cty.Value) error {
			rows := 1
			for _, a := range args[1:] {
				if a.Type().IsListType() || a.Type().IsTupleType() {
					rows = max(rows, a.LengthInt())
				}
			}
			if n := formatSize(args[0], args[1:], rows); n > MaxValueSize {
				return refuse("formatlist", n)
			}
			return nil
		}),
		"join": bound(stdlib.JoinFunc, func(args []cty.Value) error {
			sep, n, elems := len(args[0].AsString()), 0, 0
			for _, l := range args[1:] {
				n += sizeOf(l, MaxValueSize*2)
				if l.CanIterateElements() {
					elems += l.LengthInt()
				}
			}
			if total := n + elems*sep; total > MaxValueSize || sep > 0 && elems > MaxValueSize/sep {
				return refuse("join", total)
			}
			return nil
		}),
		"replace": bound(stdlib.ReplaceFunc, func(args []cty.Value) error {
			s, sub, rep := args[0].AsString(), args[1].AsString(), args[2].AsString()
			hits := strings.Count(s, sub)
			if len(sub) > 1 && sub[0] == '/' && sub[len(sub)-1] == '/' {
				hits = len(s) + 1 // a regular expression may match anywhere
			}
			if len(rep) > 0 && hits > MaxValueSize/len(rep) {
				return refuse("replace", MaxValueSize+1)
			}
			if n := len(s) + hits*len(rep); n > MaxValueSize {
				return refuse("replace", n)
			}
			return nil
		}),
	}
}

// verbWidth finds the width and precision of format verbs ("%2000000000s", "%.99999f").
var verbWidth = regexp.MustCompile(`%[-+# 0]*(?:\[\d+\])?(\d*)(?:\.(\d*))?`)

// formatSize bounds format's result: the format string, each verb's width and precision, and each verb standing for
// the largest argument (a verb may repeat one with %[n]), times rows for formatlist.
func formatSize(f cty.Value, args []cty.Value, rows int) int {
	fs := f.AsString()
	largest := 0
	for _, a := range args {
		largest = max(largest, sizeOf(a, MaxValueSize*2))
	}
	n := len(fs)
	for _, m := range verbWidth.FindAllStringSubmatch(fs, -1) {
		for _, d := range m[1:] {
			if w, err := strconv.Atoi(d); err != nil && d != "" || w > MaxValueSize {
				return MaxValueSize + 1
			} else {
				n += w
			}
		}
		n += largest
		if n > MaxValueSize {
			return n
		}
	}
	if rows > 0 && n > MaxValueSize/rows {
		return MaxValueSize + 1
	}
	return n * rows
}

// bound wraps f so that check runs on its (known, unmarked) arguments before f builds its result.
func bound(f function.Function, check func([]cty.Value) error) function.Function {
	spec := &function.Spec{
		Description: f.Description(),
		Params:      f.Params(),
		VarParam:    f.VarParam(),
		Type: func(args []cty.Value) (cty.Type, error) {
			return f.ReturnTypeForValues(args)
		},
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			plain := make([]cty.Value, len(args))
			for i, a := range args {
				if !a.IsWhollyKnown() || a.IsNull() {
					return f.Call(args) // the function handles these itself; its result is measured after
				}
				plain[i], _ = a.UnmarkDeep()
			}
			if err := check(plain); err != nil {
				return cty.NilVal, err
			}
			return f.Call(args)
		},
	}
	return function.New(spec)
}
