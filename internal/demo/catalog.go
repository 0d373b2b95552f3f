package demo

import (
	"context"
	"fmt"
	"time"

	"grassroots/internal/access"
	"grassroots/internal/catalog"
	"grassroots/internal/org"
)

type demoMatter struct {
	code, name, law, article string
}

// demoMatters are plausible matters across the common types. They are
// demonstration content: the codes follow the scheme but are not official.
var demoMatters = []demoMatter{
	{"XK00101000", "乡村建设规划许可", "中华人民共和国城乡规划法", "第四十一条"},
	{"XK00102000", "占用、挖掘城市道路审批", "城市道路管理条例", "第三十条"},
	{"XK00103000", "设置大型户外广告及在城市建筑物、设施上悬挂、张贴宣传品审批", "城市市容和环境卫生管理条例", "第十一条"},
	{"XK00104000", "农村村民宅基地审批", "中华人民共和国土地管理法", "第六十二条"},
	{"XK00105000", "城市建筑垃圾处置核准", "国务院对确需保留的行政审批项目设定行政许可的决定", "第101项"},
	{"CF00201000", "对擅自占用城市道路行为的处罚", "城市道路管理条例", "第四十二条"},
	{"CF00202000", "对在街道两侧和公共场地堆放物料影响市容的处罚", "城市市容和环境卫生管理条例", "第三十六条"},
	{"CF00203000", "对随意倾倒、抛撒、堆放生活垃圾的处罚", "中华人民共和国固体废物污染环境防治法", "第一百一十一条"},
	{"CF00204000", "对未取得乡村建设规划许可证进行建设的处罚", "中华人民共和国城乡规划法", "第六十五条"},
	{"CF00205000", "对露天焚烧秸秆、落叶等产生烟尘污染物质的处罚", "中华人民共和国大气污染防治法", "第一百一十九条"},
	{"CF00206000", "对施工工地未采取扬尘污染防治措施的处罚", "中华人民共和国大气污染防治法", "第一百一十五条"},
	{"CF00207000", "对农村村民未经批准非法占用土地建住宅的处罚", "中华人民共和国土地管理法", "第七十八条"},
	{"CF00208000", "对擅自砍伐城市树木的处罚", "城市绿化条例", "第二十六条"},
	{"CF00209000", "对擅自设置户外广告设施的处罚", "城市市容和环境卫生管理条例", "第三十六条"},
	{"QZ00301000", "对违法建筑物、构筑物、设施的强制拆除", "中华人民共和国行政强制法", "第四十四条"},
	{"QZ00302000", "对违法排放大气污染物的设施、设备的查封、扣押", "中华人民共和国大气污染防治法", "第三十条"},
	{"ZS00401000", "城市生活垃圾处理费征收", "中华人民共和国固体废物污染环境防治法", "第五十八条"},
	{"JF00501000", "最低生活保障金给付", "社会救助暂行办法", "第九条"},
	{"JF00502000", "特困人员救助供养", "社会救助暂行办法", "第十四条"},
	{"JF00503000", "临时救助", "社会救助暂行办法", "第四十七条"},
	{"JC00601000", "对食品生产经营者的监督检查", "中华人民共和国食品安全法", "第一百一十条"},
	{"JC00602000", "对生产经营单位安全生产情况的监督检查", "中华人民共和国安全生产法", "第六十五条"},
	{"JC00603000", "对燃气经营、使用安全的监督检查", "城镇燃气管理条例", "第四十二条"},
	{"JC00604000", "对河道管理范围内活动的监督检查", "中华人民共和国水法", "第六十条"},
	{"QR00701000", "农村土地承包经营权确认", "中华人民共和国农村土地承包法", "第二十四条"},
	{"QR00702000", "计划生育家庭特别扶助对象确认", "中华人民共和国人口与计划生育法", "第三十一条"},
	{"JL00801000", "对见义勇为人员的奖励", "福建省见义勇为人员奖励和保护条例", "第十条"},
	{"JL00802000", "对保护和改善环境有显著成绩的单位和个人的奖励", "中华人民共和国环境保护法", "第十一条"},
	{"CJ00901000", "土地权属争议调处", "中华人民共和国土地管理法", "第十四条"},
	{"CJ00902000", "林木林地权属争议处理", "中华人民共和国森林法", "第二十二条"},
	{"QT01001000", "村民委员会选举工作指导", "中华人民共和国村民委员会组织法", "第四条"},
	{"QT01002000", "防汛抗洪组织转移群众", "中华人民共和国防洪法", "第三十八条"},
	{"GF01101000", "城乡居民基本养老保险参保登记", "中华人民共和国社会保险法", "第二十条"},
	{"GF01102000", "就业困难人员认定", "中华人民共和国就业促进法", "第五十二条"},
	{"GF01103000", "老年人优待证办理", "中华人民共和国老年人权益保障法", "第五十七条"},
}

// demoDuties are the step duties and grounds of accountability by type.
var demoDuties = map[string][2]string{
	"XK": {"1.受理责任：公示办理条件、材料清单，一次性告知补正；2.审查责任：审查申请材料，必要时现场核查；3.决定责任：依法作出准予或不予许可决定，不予许可的说明理由；4.送达责任：制发并送达决定文书；5.事后监管责任：对被许可人开展监督检查；6.其他法律法规规定应履行的责任。",
		"1.对符合法定条件的申请不予受理、不予许可或者不在法定期限内作出决定的；2.对不符合法定条件的申请准予许可的；3.违反法定程序实施许可的；4.索取或者收受他人财物、谋取其他利益的；5.其他违反法律法规规章规定的行为。"},
	"CF": {"1.立案责任：对发现的违法线索及时立案；2.调查责任：全面、客观调查取证，执法人员不少于两人并出示证件；3.审查责任：审查案件事实、证据和处罚意见；4.告知责任：告知拟处罚的事实、理由、依据和陈述申辩、听证权利；5.决定责任：依法作出处罚决定；6.送达责任：依法送达处罚决定书；7.执行责任：督促履行，依法申请强制执行；8.其他法律法规规定应履行的责任。",
		"1.没有法定依据或者擅自改变处罚种类、幅度的；2.违反法定程序实施处罚的；3.应当依法移送追究刑事责任而未移送的；4.对违法行为不及时制止、处理，造成严重后果的；5.滥用职权、徇私舞弊、玩忽职守的；6.其他违反法律法规规章规定的行为。"},
	"QZ": {"1.催告责任：书面催告当事人履行义务；2.决定责任：依法作出强制决定；3.执行责任：按法定程序实施强制，制作现场笔录；4.事后责任：妥善保管或处置相关财物；5.其他法律法规规定应履行的责任。",
		"1.没有法律法规依据实施强制的；2.改变强制对象、条件、方式的；3.违反法定程序实施强制的；4.在夜间或者法定节假日实施强制执行的；5.其他违反法律法规规章规定的行为。"},
	"ZS": {"1.核定责任：依法核定征收对象和标准；2.征收责任：按规定征收并开具票据；3.管理责任：依法管理征收资金；4.其他法律法规规定应履行的责任。",
		"1.擅自设立、变更征收项目或标准的；2.截留、挪用征收资金的；3.其他违反法律法规规章规定的行为。"},
	"JF": {"1.受理责任：受理申请，一次性告知所需材料；2.审查责任：入户调查、邻里访问、信息核对；3.公示责任：对拟给付对象进行公示；4.决定责任：依法作出给付决定；5.发放责任：按时足额发放；6.监管责任：定期复核，动态管理；7.其他法律法规规定应履行的责任。",
		"1.对符合条件的申请不予受理或不予给付的；2.对不符合条件的对象给付的；3.截留、挤占、挪用、私分资金物资的；4.其他违反法律法规规章规定的行为。"},
	"JC": {"1.检查责任：制定检查计划，按规定开展日常巡查和专项检查；2.处置责任：对发现的问题责令改正，需要处罚的依法移送或处理；3.信息公开责任：依法公开检查结果；4.其他法律法规规定应履行的责任。",
		"1.未按规定履行检查职责，造成严重后果的；2.检查中发现违法行为不予制止、纠正的；3.滥用职权、玩忽职守、徇私舞弊的；4.其他违反法律法规规章规定的行为。"},
	"QR": {"1.受理责任：受理申请并一次性告知；2.审查责任：核实相关事实；3.决定责任：依法作出确认决定并送达；4.其他法律法规规定应履行的责任。",
		"1.对符合条件的不予确认的；2.对不符合条件的予以确认的；3.其他违反法律法规规章规定的行为。"},
	"JL": {"1.推荐责任：组织推荐、申报；2.评审责任：审核事迹，公示拟奖励对象；3.决定责任：作出奖励决定并组织实施；4.其他法律法规规定应履行的责任。",
		"1.弄虚作假、徇私舞弊的；2.对符合条件的不予推荐或奖励的；3.其他违反法律法规规章规定的行为。"},
	"CJ": {"1.受理责任：受理当事人申请；2.调查责任：调查核实争议事实；3.调解责任：先行组织调解；4.裁决责任：调解不成的依法作出处理决定；5.送达责任：依法送达；6.其他法律法规规定应履行的责任。",
		"1.对应当受理的争议不予受理的；2.违反法定程序作出处理的；3.徇私舞弊、枉法裁决的；4.其他违反法律法规规章规定的行为。"},
	"QT": {"1.部署责任：制定工作方案并组织实施；2.指导责任：加强业务指导和监督；3.报告责任：及时报告工作情况；4.其他法律法规规定应履行的责任。",
		"1.不履行或不正确履行职责，造成不良后果的；2.迟报、漏报、谎报、瞒报的；3.其他违反法律法规规章规定的行为。"},
	"GF": {"1.受理责任：受理申请，一次性告知；2.办理责任：按承诺时限办结；3.告知责任：告知办理结果；4.其他法律法规规定应履行的责任。",
		"1.对符合条件的申请不予办理的；2.超过承诺时限办理的；3.其他违反法律法规规章规定的行为。"},
}

// demoSubject is the township institution that carries out a matter type.
var demoSubject = map[string]string{
	"XK": "综合便民服务中心", "CF": "综合执法队", "QZ": "综合执法队", "ZS": "党政综合办公室", "JF": "社会事务办公室",
	"JC": "平安建设办公室", "QR": "综合便民服务中心", "JL": "党政综合办公室", "CJ": "党政综合办公室", "QT": "平安建设办公室", "GF": "综合便民服务中心",
}

// demoPower lists the matters each township type holds.
var demoPower = map[string][]string{
	"城区街道": {"XK00102000", "CF00201000", "CF00202000", "CF00203000", "CF00206000", "CF00208000", "CF00209000", "QZ00301000",
		"JF00501000", "JF00502000", "JF00503000", "JC00602000", "JC00603000", "QR00702000", "JL00801000", "QT01002000", "GF01101000", "GF01102000", "GF01103000"},
	"中心镇": {"XK00101000", "XK00104000", "CF00202000", "CF00203000", "CF00204000", "CF00205000", "CF00207000", "QZ00301000", "QZ00302000",
		"JF00501000", "JF00502000", "JF00503000", "JC00602000", "JC00604000", "QR00701000", "QR00702000", "CJ00901000", "CJ00902000", "QT01001000", "QT01002000", "GF01101000", "GF01103000"},
	"一般乡镇": {"XK00104000", "CF00203000", "CF00205000", "CF00207000", "JF00501000", "JF00502000", "JF00503000", "JC00602000", "JC00604000",
		"QR00701000", "QR00702000", "CJ00901000", "CJ00902000", "QT01001000", "QT01002000", "GF01101000", "GF01103000"},
}

type demoTerritorial struct {
	matter, lead, duties, support string
	supportUnits                  []string
}

var demoTerritory = []demoTerritorial{
	{"CF00201000", "350722D003", "负责占用城市道路行为的查处", "日常巡查发现、劝导，及时报告并配合现场处置", []string{"350722D012"}},
	{"CF00202000", "350722D003", "负责影响市容行为的查处和整治", "发现并劝阻，及时报告城管部门，配合做好现场处置", nil},
	{"CF00203000", "350722D003", "负责生活垃圾违法倾倒行为的查处", "组织村（社区）开展环境卫生整治，发现问题及时报告", nil},
	{"CF00205000", "350722D004", "负责露天焚烧行为的监督管理和查处", "做好禁烧宣传和网格巡查，发现火情及时劝阻、报告", []string{"350722D013"}},
	{"CF00206000", "350722D002", "负责施工工地扬尘污染防治的监督管理和查处", "发现工地扬尘问题及时报告，配合开展联合检查", []string{"350722D003", "350722D004"}},
	{"CF00207000", "350722D011", "负责非法占地建房的认定和查处", "日常巡查发现、制止，及时报告，配合依法拆除", []string{"350722D013"}},
	{"CF00208000", "350722D003", "负责擅自砍伐城市树木行为的查处", "发现后及时制止并报告", nil},
	{"CF00209000", "350722D003", "负责户外广告设施的审批监管和违法设置的查处", "巡查发现违规设置及时报告，配合拆除", nil},
	{"QZ00301000", "350722D003", "负责违法建筑的认定、强制拆除决定和实施", "配合做好当事人思想工作和现场秩序维护", []string{"350722D011", "350722D012"}},
	{"JC00601000", "350722D010", "负责食品生产经营的监督检查", "协助开展食品安全宣传和信息报告", nil},
	{"JC00602000", "350722D016", "负责安全生产的综合监督管理和行业监管", "开展辖区安全隐患排查，发现问题及时报告", nil},
	{"JC00603000", "350722D002", "负责燃气经营和使用安全的监督管理", "配合开展燃气安全宣传和入户排查", []string{"350722D016"}},
	{"JC00604000", "350722D014", "负责河道管理范围内活动的监督检查和查处", "落实河长制巡河，发现问题及时报告", nil},
	{"QT01002000", "350722D016", "负责防汛抗洪的组织协调和应急处置", "组织群众转移避险，做好安置", []string{"350722D014"}},
	{"JF00501000", "350722D008", "负责最低生活保障的审批和资金发放", "受理申请，组织入户调查和民主评议", nil},
	{"GF01102000", "350722D007", "负责就业困难人员认定", "受理申请并初审", nil},
}

type demoAccess struct{ dept, matter, duties string }

var demoAccessList = []demoAccess{
	{"350722D008", "JF00501000", "受理低保申请，组织入户调查、民主评议和公示"},
	{"350722D008", "JF00502000", "受理特困供养申请，开展入户调查"},
	{"350722D008", "JF00503000", "受理临时救助申请，对急难情形先行救助"},
	{"350722D016", "JC00602000", "协助开展辖区生产经营单位日常安全巡查"},
	{"350722D016", "QT01002000", "汛期组织危险区域群众转移避险"},
	{"350722D003", "CF00202000", "日常巡查发现、劝导影响市容行为"},
	{"350722D003", "CF00203000", "组织开展环境卫生整治"},
	{"350722D007", "GF01101000", "受理城乡居民养老保险参保登记"},
	{"350722D007", "GF01102000", "受理就业困难人员认定申请并初审"},
	{"350722D002", "JC00603000", "配合开展燃气安全宣传和入户排查"},
}

var demoEmpower = map[string][]string{
	"城区街道": {"CF00201000", "CF00202000", "CF00208000", "XK00103000"},
	"中心镇":  {"XK00101000", "CF00204000", "CF00205000"},
	"一般乡镇": {"CF00205000", "CF00207000"},
}

var demoCategories = map[string]string{
	"暴露垃圾": "CF00203000", "积存垃圾渣土": "CF00203000", "焚烧垃圾、树叶": "CF00205000", "工地扬尘": "CF00206000",
	"非法伐树": "CF00208000", "违规户外广告": "CF00209000", "户外广告异常": "CF00209000", "占道洗车": "CF00201000",
	"露天燃气管道异常": "JC00603000", "燃气调压站（箱）异常": "JC00603000",
}

// Lists fills empty lists with Pucheng demonstration content (marked
// demo=1, versions labelled 演示数据): 35 matters, a power list per township
// type, territorial entries, an access list for five departments, a first
// empowerment batch (浦委编〔2026〕1号) and a pending township request. It does
// nothing when matters exist already or the county departments are missing,
// and reports whether it loaded.
func Lists(ctx context.Context, lists *catalog.Service, o *org.Service) (bool, error) {
	ms, err := lists.Matters(ctx, access.System, catalog.MatterFilter{})
	if err != nil {
		return false, fmt.Errorf("count matters: %w", err)
	}
	if len(ms) > 0 {
		return false, nil
	}
	for _, code := range []string{"350722D002", "350722D003", "350722D008", "350722D016"} {
		u, err := o.UnitByCode(ctx, access.System, code)
		switch {
		case isNotFound(err):
			return false, nil
		case err != nil:
			return false, fmt.Errorf("county departments: %w", err)
		case u.Kind != org.KindDepartment:
			return false, nil
		}
	}
	g := catalog.Generated{Label: Label, CategoryMatters: demoCategories,
		Batch: catalog.BatchInput{BatchNo: "第一批", DocNo: "浦委编〔2026〕1号", EffectiveAt: time.Date(2026, 3, 1, 0, 0, 0, 0, shanghai), Note: Label},
		Request: &catalog.GeneratedRequest{TownshipType: "一般乡镇", MatterCode: "XK00104000",
			Reason: "辖区建房需求多，逐级报批时间长，申请将宅基地审批权下放至乡镇（" + Label + "）", RequestedName: Label}}
	for _, m := range demoMatters {
		g.Matters = append(g.Matters, catalog.MatterInput{Code: m.code, Name: m.name, BasisLaw: m.law, BasisArticle: m.article})
	}
	for _, tt := range catalog.TownshipTypes {
		for _, code := range demoPower[tt] {
			d := demoDuties[code[:2]]
			g.Power = append(g.Power, catalog.ItemInput{TownshipType: tt, MatterCode: code, Subject: demoSubject[code[:2]], Duties: d[0], Accountability: d[1], Note: Label})
		}
	}
	for _, t := range demoTerritory {
		g.Territorial = append(g.Territorial, catalog.ItemInput{MatterCode: t.matter, UnitCode: t.lead, Duties: t.duties, SupportDuties: t.support, SupportUnits: t.supportUnits, Note: Label})
	}
	for _, a := range demoAccessList {
		g.Access = append(g.Access, catalog.ItemInput{UnitCode: a.dept, MatterCode: a.matter, Duties: a.duties, Note: Label})
	}
	for _, tt := range catalog.TownshipTypes {
		for _, code := range demoEmpower[tt] {
			g.Empowerment = append(g.Empowerment, catalog.ItemInput{TownshipType: tt, MatterCode: code, BatchNo: g.Batch.BatchNo, Note: Label})
		}
	}
	demoActor := access.Actor{Name: Label, System: true}
	if err := lists.LoadGenerated(ctx, demoActor, g); err != nil {
		return false, fmt.Errorf("load demo lists: %w", err)
	}
	if err := dutyDocuments(ctx, lists, demoActor); err != nil {
		return false, err
	}
	return true, nil
}

// demoDutyDocs are existing responsibility letters, quotas and vetoes county
// departments issued to townships before the reform, registered for the
// clean-up (演示数据); the first is recorded as abolished.
var demoDutyDocs = []struct {
	kind, title, dept, docNo string
	month                    time.Month
}{
	{catalog.DutyVeto, "安全生产工作一票否决（演示数据）", "350722D016", "浦安委〔2025〕2号", time.February},
	{catalog.DutyLetter, "2025年度城乡环境卫生整治目标责任状（演示数据）", "350722D003", "浦城管〔2025〕5号", time.March},
	{catalog.DutyQuota, "2025年度低保扩面任务分解表（演示数据）", "350722D008", "浦民〔2025〕11号", time.April},
	{catalog.DutyAcceptance, "燃气安全入户排查考核验收（演示数据）", "350722D002", "浦建〔2025〕8号", time.May},
}

func dutyDocuments(ctx context.Context, lists *catalog.Service, actor access.Actor) error {
	towns, err := lists.Townships(ctx)
	if err != nil {
		return fmt.Errorf("demo duty documents: %w", err)
	}
	var codes []string
	for i, t := range towns {
		if i >= 6 {
			break
		}
		codes = append(codes, t.Code)
	}
	if len(codes) == 0 {
		return nil
	}
	for i, d := range demoDutyDocs {
		doc, err := lists.RegisterDuty(ctx, actor, catalog.DutyInput{Kind: d.kind, Title: d.title, DeptCode: d.dept, DocNo: d.docNo,
			IssuedAt: time.Date(2025, d.month, 10, 0, 0, 0, 0, shanghai), Townships: codes, Existing: true})
		if err != nil {
			return fmt.Errorf("demo duty document %s: %w", d.title, err)
		}
		if i == 0 {
			if _, err := lists.ClearDuty(ctx, actor, doc.ID, catalog.DutyCleanup{Result: catalog.DutyAbolished,
				Reason: "安全生产属县级部门监管职责，不得以一票否决转嫁乡镇（" + Label + "）", DocNo: "浦减负办〔2026〕1号"}); err != nil {
				return fmt.Errorf("demo duty clean-up: %w", err)
			}
		}
	}
	return nil
}
