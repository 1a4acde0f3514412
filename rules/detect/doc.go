// Package detect decides whether a string is an image reference, from the
// string and the name it sits under (a key, a flag, a variable): the word
// lists are data and Classify is the one rule. Its catalogue
// (catalogue.yaml, extended by the config) says what names cannot tell:
// custom-resource fields that hold images, where their pull secrets go,
// placeholders that stand for images filled in later, and registry settings
// that only normalise names.
//
// It is pure: it imports only the standard library, the YAML library (to
// read its embedded catalogue) and package reference.
package detect
