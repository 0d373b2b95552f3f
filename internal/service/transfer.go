package service

import (
	"slices"
	"strings"

	"grassroots/internal/store"
)

// How an item moved down to townships went (Item.Transfer).
const (
	// TransferWhole is 全链条划转: acceptance, handling and decision all
	// stay at the township; no county back office takes part.
	TransferWhole = "whole"
	// TransferPartial moved only some steps down; CountySteps names those
	// the county kept.
	TransferPartial = "partial"
)

// The steps of an item's chain a county may keep (Item.CountySteps).
const (
	StepAccept = "accept" // 受理
	StepHandle = "handle" // 审查办理
	StepDecide = "decide" // 决定
)

// Steps lists the chain's steps in order.
var Steps = []string{StepAccept, StepHandle, StepDecide}

// Transfers lists the ways an item moves down, for the forms and filters.
var Transfers = []string{TransferWhole, TransferPartial}

func (in *ItemInput) normaliseTransfer() error {
	in.Transfer = strings.TrimSpace(in.Transfer)
	var steps []string
	for _, st := range in.CountySteps {
		st = strings.TrimSpace(st)
		if st == "" || slices.Contains(steps, st) {
			continue
		}
		if !slices.Contains(Steps, st) {
			return store.Invalid("县级保留的环节应为受理(accept)、审查办理(handle)或决定(decide)")
		}
		steps = append(steps, st)
	}
	slices.SortFunc(steps, func(a, b string) int { return slices.Index(Steps, a) - slices.Index(Steps, b) })
	in.CountySteps = steps
	switch in.Transfer {
	case "":
		in.CountySteps = nil
	case TransferWhole:
		if len(in.CountySteps) > 0 {
			return store.Invalid("全链条划转的事项不再保留县级环节")
		}
		in.Devolved = true
	case TransferPartial:
		if len(in.CountySteps) == 0 {
			return store.Invalid("部分下放的事项请写明县级保留的环节")
		}
		if len(in.CountySteps) == len(Steps) {
			return store.Invalid("受理、审查办理和决定都保留在县级，就不是下放事项")
		}
		if in.DeptCode == "" {
			return store.Invalid("部分下放的事项请填写保留环节的县级部门")
		}
		in.Devolved = true
	default:
		return store.Invalid("下放方式应为全链条划转(whole)或部分下放(partial)")
	}
	return nil
}

// WholeChain reports whether the item moved down with its whole chain.
func (it Item) WholeChain() bool { return it.Transfer == TransferWhole }

// CountyKeeps reports whether the county kept step of an item moved down in
// part.
func (it Item) CountyKeeps(step string) bool {
	return it.Transfer == TransferPartial && slices.Contains(it.CountySteps, step)
}

// countyBackOffice reports whether a county department is the back office:
// a county item not moved down whole, or one moved down in part whose
// handling or decision stayed with the county.
func (it Item) countyBackOffice() bool {
	switch it.Transfer {
	case TransferWhole:
		return false
	case TransferPartial:
		return it.CountyKeeps(StepHandle) || it.CountyKeeps(StepDecide)
	}
	return it.Level == LevelCounty
}
