package yamlnode

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// Arg is one item of a container's command or args read as a command line.
type Arg struct {
	Index int        // position in the list
	Node  *yaml.Node // the item, resolved
	// Flag is the flag the value belongs to, dashes kept: "--image" for
	// "--image=REF" and for the REF after a bare "--image"; "" for a
	// positional argument.
	Flag string
	// Value is the value: the part after "=" of "--flag=VALUE", the whole
	// scalar otherwise; Offset is where it starts in Node.Value.
	Value  string
	Offset int
	// IsFlag marks a bare "--flag" with no value of its own; its value, if
	// any, is the next item.
	IsFlag bool
}

// Args pairs "--flag value" and splits "--flag=value" in a command or args
// list. Every item is returned; an item that is not a scalar has no Flag
// and ends a pending flag.
func Args(list *yaml.Node) []Arg {
	list = Resolve(list)
	if list == nil || list.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]Arg, 0, len(list.Content))
	pending := ""
	for i, item := range list.Content {
		item = Resolve(item)
		a := Arg{Index: i, Node: item}
		if item == nil || item.Kind != yaml.ScalarNode {
			pending = ""
			out = append(out, a)
			continue
		}
		v := item.Value
		name, value, hasValue := strings.Cut(v, "=")
		switch {
		case strings.HasPrefix(v, "-") && hasValue:
			a.Flag, a.Value, a.Offset = name, value, len(name)+1
			pending = ""
		case strings.HasPrefix(v, "-"):
			a.Flag, a.IsFlag = v, true
			pending = v
		default:
			a.Flag, a.Value = pending, v
			pending = ""
		}
		out = append(out, a)
	}
	return out
}
