package alloyconfig

import (
	"strconv"
	"strings"
)

// A tiny writer for the subset of the Alloy configuration syntax this
// package needs: blocks, attributes, and string / bool / list / object /
// component-reference values. Building the file from these values (instead
// of a text template) means every interpolated string goes through quote.

type stmt interface {
	write(b *strings.Builder, depth int)
}

type expr interface {
	writeExpr(b *strings.Builder, depth int)
}

// block is `name "label" { ... }`, or `name { ... }` when label is empty.
type block struct {
	name  string
	label string
	body  []stmt
}

type attr struct {
	name string
	val  expr
}

type str string // a string literal

type boolean bool

// ref is a reference to another component's export, e.g.
// loki.write.default.receiver. Only built from constants in this package.
type ref string

type list []expr

// object is `{"key" = value, ...}` with keys in the given order.
type object []kv

type kv struct {
	key string
	val expr
}

func indent(b *strings.Builder, depth int) { b.WriteString(strings.Repeat("  ", depth)) }

func (bl block) write(b *strings.Builder, depth int) {
	indent(b, depth)
	b.WriteString(bl.name)
	if bl.label != "" {
		b.WriteString(" " + quote(bl.label))
	}
	b.WriteString(" {\n")
	for _, s := range bl.body {
		s.write(b, depth+1)
	}
	indent(b, depth)
	b.WriteString("}\n")
}

func (a attr) write(b *strings.Builder, depth int) {
	indent(b, depth)
	b.WriteString(a.name + " = ")
	a.val.writeExpr(b, depth)
	b.WriteString("\n")
}

func (s str) writeExpr(b *strings.Builder, _ int) { b.WriteString(quote(string(s))) }

func (v boolean) writeExpr(b *strings.Builder, _ int) { b.WriteString(strconv.FormatBool(bool(v))) }

func (r ref) writeExpr(b *strings.Builder, _ int) { b.WriteString(string(r)) }

// A list of objects goes one element per line; anything else stays inline.
func (l list) writeExpr(b *strings.Builder, depth int) {
	multiline := false
	for _, e := range l {
		if _, ok := e.(object); ok {
			multiline = true
		}
	}
	if !multiline {
		b.WriteString("[")
		for i, e := range l {
			if i > 0 {
				b.WriteString(", ")
			}
			e.writeExpr(b, depth)
		}
		b.WriteString("]")
		return
	}
	b.WriteString("[\n")
	for _, e := range l {
		indent(b, depth+1)
		e.writeExpr(b, depth+1)
		b.WriteString(",\n")
	}
	indent(b, depth)
	b.WriteString("]")
}

func (o object) writeExpr(b *strings.Builder, depth int) {
	b.WriteString("{")
	for i, e := range o {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quote(e.key) + " = ")
		e.val.writeExpr(b, depth)
	}
	b.WriteString("}")
}

// quote returns s as an Alloy string literal. Alloy's string escapes are
// Go's (\\, \", \n, \t, \xHH, \uHHHH, ...), so strconv.Quote's output is a
// valid literal that decodes back to exactly s.
func quote(s string) string { return strconv.Quote(s) }
