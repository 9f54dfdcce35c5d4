// Package layering holds the test that keeps the import graph in its layers (layering_test.go): the simulator never
// answers with the code it is an oracle for, sources never judge, rules never run, plan or collect. The package has no
// code of its own.
package layering
