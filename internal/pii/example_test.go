package pii_test

import (
	"fmt"

	"grassroots/internal/pii"
)

func ExampleMaskPhone() {
	fmt.Println(pii.MaskPhone("13812345678"))
	fmt.Println(pii.MaskPhone("0599-2822345"))
	// Output:
	// 138****5678
	// 059****2345
}

func ExampleMaskID() {
	fmt.Println(pii.MaskID("11010519491231002X"))
	// Output: 1101**********002X
}

func ExampleValidID() {
	fmt.Println(pii.ValidID("11010519491231002X"), pii.ValidID("110105194912310021"))
	// Output: true false
}
