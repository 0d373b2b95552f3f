// Package flowtest holds tests that drive a flow through the whole handler
// stack, the web pages and the API, as the program wires them; it has no
// code of its own.
package flowtest
