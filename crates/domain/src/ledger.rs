//! The audit ledger (全程留痕): an append-only, hash-chained list of every state change.
//!
//! Entry `n` stores `prev_hash`, the hash of entry `n − 1` (64 zeros for the
//! first), and its own `hash`:
//!
//! ```text
//! hash = hex(SHA-256("jianguan-ledger/v1" ‖ 0x00 ‖ seq ‖ 0x00 ‖ at ‖ 0x00 ‖ actor ‖ 0x00 ‖ action
//!                    ‖ 0x00 ‖ subject_table ‖ 0x00 ‖ subject_key ‖ 0x00 ‖ state_digest
//!                    ‖ 0x00 ‖ detail ‖ 0x00 ‖ prev_hash))
//! ```
//!
//! with `seq` in decimal. `state_digest` is the SHA-256 of the subject's
//! document (its canonical JSON) after the change, so the ledger also pins the
//! current content of every row it mentions.

use serde::{Deserialize, Serialize};

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One ledger entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerEntry {
    /// Position, from 1.
    pub seq: i64,
    /// When (RFC 3339, China time).
    pub at: String,
    /// Who: a user name, or `system`.
    pub actor: String,
    /// What, e.g. `plan.filed`.
    pub action: String,
    /// The table of the row changed.
    pub subject_table: String,
    /// Its key.
    pub subject_key: String,
    /// SHA-256 (hex) of the row's document after the change.
    pub state_digest: String,
    /// Free text: a reason, a summary of the change.
    pub detail: String,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl LedgerEntry {
    /// The hash this entry must carry, from its other fields.
    pub fn expected_hash(&self) -> String {
        let seq = self.seq.to_string();
        let parts: [&[u8]; 10] = [
            b"jianguan-ledger/v1",
            seq.as_bytes(),
            self.at.as_bytes(),
            self.actor.as_bytes(),
            self.action.as_bytes(),
            self.subject_table.as_bytes(),
            self.subject_key.as_bytes(),
            self.state_digest.as_bytes(),
            self.detail.as_bytes(),
            self.prev_hash.as_bytes(),
        ];
        let mut joined = Vec::new();
        for (index, part) in parts.iter().enumerate() {
            if index > 0 {
                joined.push(0);
            }
            joined.extend_from_slice(part);
        }
        draw::to_hex(&draw::sha256(&[&joined]))
    }
}

/// A ledger anchor (锚点): the head of the ledger as it stood at `at`. The
/// portal publishes anchors so that witnesses keep copies outside the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    /// The day it stands for (China time), `YYYY-MM-DD`.
    pub day: String,
    /// The head's position (0 for an empty ledger).
    pub seq: i64,
    /// The hash of the entry at `seq` ([`GENESIS`] for 0).
    pub hash: String,
    /// When it was recorded (RFC 3339, China time).
    pub at: String,
}

/// SHA-256 (hex) of a document's text.
pub fn digest(text: &str) -> String {
    draw::to_hex(&draw::sha256(&[text.as_bytes()]))
}

/// Every action the system writes on the ledger, with its Chinese label (as
/// staff read the ledger). A test reads the sources and fails on an action
/// code written anywhere without a line here.
pub const ACTION_LABELS: &[(&str, &str)] = &[
    ("account.changed", "修改账户"),
    ("account.created", "创建账户"),
    ("account.password", "修改密码"),
    ("calendar.deadlines_recomputed", "重算时限"),
    ("calendar.notice_loaded", "载入放假安排"),
    ("case.edited", "修改行政处罚案件"),
    ("case.entered", "录入行政处罚案件"),
    ("case.imported", "导入行政处罚案件"),
    ("city.set_up", "设置城市"),
    ("credit.classified", "信用风险分类"),
    ("credit.entries.imported", "导入信用记录"),
    ("credit.matter.saved", "保存信用事项"),
    ("credit.matters.imported", "导入信用事项"),
    ("credit_repair.approved", "同意信用修复"),
    ("credit_repair.rejected", "驳回信用修复"),
    ("credit_repair.requested", "申请信用修复"),
    ("department.created", "新增部门"),
    ("department.deactivated", "停用部门"),
    ("department.deleted", "删除部门"),
    ("department.edited", "修改部门"),
    ("department.reactivated", "启用部门"),
    ("discretion.imported", "导入裁量基准"),
    ("hotline.called_back", "工单回访"),
    ("hotline.caller_revealed", "查看完整来电号码"),
    ("hotline.closed", "工单办结"),
    ("hotline.dispatched", "工单派单"),
    ("hotline.escalated", "工单督办"),
    ("hotline.extension_decided", "延期审批"),
    ("hotline.extension_requested", "延期申请"),
    ("hotline.handled", "工单办理"),
    ("hotline.imported", "导入工单"),
    ("hotline.inspection_linked", "工单转立案检查"),
    ("hotline.received", "受理工单"),
    ("hotline.reopened", "工单重办"),
    ("hotline.replied", "工单答复"),
    ("hotline.returned", "工单退单"),
    ("hotline.signed", "工单签收"),
    ("licence.issued", "签发电子证照"),
    ("licence.revoked", "注销电子证照"),
    ("licence.types.imported", "导入证照类型"),
    ("licences.imported", "导入电子证照"),
    ("litigation.imported", "导入行政诉讼出庭应诉记录"),
    ("out_of_plan.registered", "登记计划外检查"),
    ("plan.approved", "批准计划"),
    ("plan.changed", "变更计划"),
    ("plan.confirmed", "确认联合计划"),
    ("plan.created", "新建计划"),
    ("plan.declined", "拒绝联合计划"),
    ("plan.draft", "退回草稿"),
    ("plan.filed", "计划备案"),
    ("plan.published", "公示计划"),
    ("reconsideration.imported", "导入行政复议案件"),
    ("rectification.answered", "整改反馈"),
    ("rectification.closed", "整改销号"),
    ("rectification.issued", "下发整改通知"),
    ("rectification.returned", "退回重新整改"),
    ("result.corrected", "更正检查结果"),
    ("result.entered", "录入检查结果"),
    ("result.published", "公示检查结果"),
    ("review.committed", "评查抽取承诺"),
    ("review.drawn", "评查随机抽取"),
    ("review_file.created", "确定评查案卷及评查人员"),
    ("reviewer.imported", "导入评查人员"),
    ("review_standard.imported", "导入评查标准"),
    ("review_score.imported", "提交案卷评分"),
    ("review_file.escalated", "分歧案卷交复核评查"),
    ("round.committed", "抽取承诺"),
    ("round.drawn", "随机抽取"),
    ("round.published", "公布抽取记录"),
    ("services.application.revoked", "撤销办件审批（承诺不实）"),
    ("services.applications.imported", "导入政务服务办件"),
    ("services.matters.imported", "导入政务服务事项"),
    ("services.verification.committed", "告知承诺核查承诺"),
    ("services.verification.drawn", "告知承诺核查抽取"),
    ("services.verification.result", "登记告知承诺核查结果"),
    ("services.window.accepted", "综合窗口受理"),
    ("services.window.assigned", "分办至部门"),
    ("services.window.closed", "办件办结"),
    ("services.window.corrected", "一次性告知补正"),
    ("services.window.decided", "部门审批"),
    ("services.window.issued", "综合窗口出件"),
    ("services.window.paused", "暂停办理"),
    ("services.window.received", "综合窗口收件"),
    ("services.window.rectified", "差评整改回访"),
    ("services.window.resumed", "恢复办理"),
    ("services.window.reviewed", "办件评价"),
    ("services.window.to_hotline", "差评转12345工单"),
    ("token.issued", "签发接口令牌"),
    ("token.revoked", "吊销接口令牌"),
    ("visit.created", "生成检查任务"),
    ("visit.reassigned", "调整检查人员"),
];

/// The Chinese label of a ledger action code, if the system writes it.
pub fn action_label(action: &str) -> Option<&'static str> {
    ACTION_LABELS
        .iter()
        .find(|(code, _)| *code == action)
        .map(|(_, label)| *label)
}

/// An action as staff read it: its label, or, for a code this version does
/// not know (an older or newer writer), `其他操作`.
pub fn action_text(action: &str) -> &'static str {
    action_label(action).unwrap_or("其他操作")
}

/// A ledger time (RFC 3339, any precision) as local China time to the second,
/// `YYYY-MM-DD HH:MM:SS`; a time that does not parse is shown as stored.
pub fn local_time(at: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(at) {
        Ok(time) => {
            let china = chrono::FixedOffset::east_opt(8 * 3600).unwrap_or(*time.offset());
            time.with_timezone(&china)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        }
        Err(_) => at.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> LedgerEntry {
        let mut entry = LedgerEntry {
            seq: 1,
            at: "2026-01-05T09:00:00+08:00".into(),
            actor: "张三".into(),
            action: "plan.created".into(),
            subject_table: "plans".into(),
            subject_key: "2026-001".into(),
            state_digest: digest("{}"),
            detail: String::new(),
            prev_hash: GENESIS.into(),
            hash: String::new(),
        };
        entry.hash = entry.expected_hash();
        entry
    }

    #[test]
    fn every_field_is_covered_by_the_hash() {
        let base = entry();
        let mut changed = Vec::new();
        for edit in 0..9 {
            let mut e = base.clone();
            match edit {
                0 => e.seq = 2,
                1 => e.at.push('Z'),
                2 => e.actor.push('x'),
                3 => e.action.push('x'),
                4 => e.subject_table.push('x'),
                5 => e.subject_key.push('x'),
                6 => e.state_digest = digest("[]"),
                7 => e.detail.push('x'),
                _ => e.prev_hash = base.hash.clone(),
            }
            changed.push(e.expected_hash());
        }
        assert!(changed.iter().all(|h| *h != base.hash));
        // Field boundaries matter: moving a character between fields changes the hash.
        let mut shifted = base.clone();
        shifted.actor = "张".into();
        shifted.action = "三plan.created".into();
        assert_ne!(shifted.expected_hash(), base.hash);
    }
}
