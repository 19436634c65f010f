//! Plain-language texts of reasons and next steps, in English and Simplified Chinese.
//!
//! Texts are rendered from the structured reasons, never stored: the words can improve without
//! rewriting history. Times are shown in the policy's offset from UTC. Texts never contain
//! names, ID numbers or phones; they speak to the resident as "you".

use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};

use super::facts::{ContactSetting, Medicine, RiskLevel};
use super::{Colour, Evidence, Finding, Language, NextStep, Reason, Until};

pub(super) fn reason(reason: &Reason, language: Language, offset: Offset) -> String {
    let when = When { language, offset };
    let what = finding(&reason.finding, &reason.evidence, when);
    let until = match reason.until {
        Until::At(at) => match language {
            Language::English => format!("This holds until {} if nothing changes.", when.at(at)),
            Language::SimplifiedChinese => format!("如无新情况，持续至{}。", when.at(at)),
        },
        Until::Released => match language {
            Language::English => "This holds until a health official releases the case.".into(),
            Language::SimplifiedChinese => "持续至卫生健康工作人员解除该病例。".into(),
        },
        Until::NegativeTestAfter(after) => match language {
            Language::English => format!(
                "This holds until a negative test taken after {}.",
                when.at(after)
            ),
            Language::SimplifiedChinese => {
                format!("持续至您在{}之后采样并取得阴性检测结果。", when.at(after))
            }
        },
    };
    // An official's quoted reason may end a sentence itself; do not end it twice.
    let ends_sentence = what
        .trim_end_matches(['"', '”'])
        .ends_with(['.', '!', '?', '。', '！', '？']);
    match language {
        Language::English => {
            let stop = if ends_sentence { "" } else { "." };
            format!("{}: {what}{stop} {until}", colour_title(reason.colour))
        }
        Language::SimplifiedChinese => {
            let stop = if ends_sentence { "" } else { "。" };
            format!(
                "{}：{what}{stop}{until}",
                colour_word(reason.colour, language)
            )
        }
    }
}

pub(super) fn next_step(step: &NextStep, language: Language, offset: Offset) -> String {
    let when = When { language, offset };
    match (step, language) {
        (NextStep::NegativeTestAfter { after, colour }, Language::English) => format!(
            "A negative test taken after {} would make this {}.",
            when.at(*after),
            colour_word(*colour, language)
        ),
        (NextStep::NegativeTestAfter { after, colour }, Language::SimplifiedChinese) => format!(
            "在{}之后采样的阴性检测结果可使您转为{}。",
            when.at(*after),
            colour_word(*colour, language)
        ),
        (NextStep::TurnsOn { at, colour }, Language::English) => format!(
            "If nothing changes, this turns {} on {}.",
            colour_word(*colour, language),
            when.at(*at)
        ),
        (NextStep::TurnsOn { at, colour }, Language::SimplifiedChinese) => format!(
            "如无新情况，将于{}转为{}。",
            when.at(*at),
            colour_word(*colour, language)
        ),
        (NextStep::AwaitRelease, Language::English) => {
            "This stays until a health official releases the case; they will contact you.".into()
        }
        (NextStep::AwaitRelease, Language::SimplifiedChinese) => {
            "此颜色将保持至卫生健康工作人员解除病例，工作人员会与您联系。".into()
        }
        (NextStep::DeclareOrTest { purchased_at }, Language::English) => format!(
            "A pharmacy reported that you bought fever or cough medicine on {}. Please declare \
             your health or take a test; the purchase alone does not change your colour.",
            when.at(*purchased_at)
        ),
        (NextStep::DeclareOrTest { purchased_at }, Language::SimplifiedChinese) => format!(
            "药店报告您于{}购买了退烧或止咳药。请申报健康状况或进行检测；仅购药不会改变您的颜色。",
            when.at(*purchased_at)
        ),
        (NextStep::OverrideEnds { at, colour }, Language::English) => format!(
            "The health official's decision ends on {}; after that the rules decide, which today \
             would give {}.",
            when.at(*at),
            colour_word(*colour, language)
        ),
        (NextStep::OverrideEnds { at, colour }, Language::SimplifiedChinese) => format!(
            "工作人员的决定于{}结束；之后按规则判定，按今天的情况为{}。",
            when.at(*at),
            colour_word(*colour, language)
        ),
        (NextStep::Appeal, Language::English) => {
            "If you think this is wrong, you can appeal: a health official will review it and \
             give you a written reason."
                .into()
        }
        (NextStep::Appeal, Language::SimplifiedChinese) => {
            "如您认为有误，可以提出申诉：卫生健康工作人员将进行审核并给出书面理由。".into()
        }
    }
}

fn finding(finding: &Finding, evidence: &[Evidence], when: When) -> String {
    let language = when.language;
    let first_time = evidence
        .iter()
        .find_map(evidence_time)
        .map(|at| when.at(at));
    let on = first_time.unwrap_or_default();
    match (finding, language) {
        (Finding::ConfirmedCase, Language::English) => {
            format!("you are registered as a confirmed case (since {on})")
        }
        (Finding::ConfirmedCase, Language::SimplifiedChinese) => {
            format!("您已登记为确诊病例（自{on}起）")
        }
        (Finding::SuspectedCase, Language::English) => {
            format!("you are registered as a suspected case (since {on})")
        }
        (Finding::SuspectedCase, Language::SimplifiedChinese) => {
            format!("您已登记为疑似病例（自{on}起）")
        }
        (Finding::CloseContact, Language::English) => format!(
            "you were a close contact of a confirmed case ({}, last exposure {on})",
            setting(evidence, language)
        ),
        (Finding::CloseContact, Language::SimplifiedChinese) => format!(
            "您是确诊病例的密切接触者（{}，最后接触时间{on}）",
            setting(evidence, language)
        ),
        (Finding::SecondaryContact, Language::English) => format!(
            "you were in contact with a close contact of a case ({}, last exposure {on})",
            setting(evidence, language)
        ),
        (Finding::SecondaryContact, Language::SimplifiedChinese) => format!(
            "您是密切接触者的接触者（{}，最后接触时间{on}）",
            setting(evidence, language)
        ),
        (Finding::PositiveTest, Language::English) => {
            format!("a test sampled on {on} was positive")
        }
        (Finding::PositiveTest, Language::SimplifiedChinese) => {
            format!("您于{on}采样的检测结果为阳性")
        }
        (Finding::RiskRegion { .. }, _) => stay(evidence, when),
        (Finding::Fever { threshold_tenths }, Language::English) => format!(
            "a temperature of {} °C or more was declared or reported on {on}",
            tenths(*threshold_tenths)
        ),
        (Finding::Fever { threshold_tenths }, Language::SimplifiedChinese) => format!(
            "您于{on}申报或被报告体温达到{}°C或以上",
            tenths(*threshold_tenths)
        ),
        (Finding::Symptoms { min_count }, Language::English) => format!(
            "{min_count} or more of the symptoms this rule counts were declared or reported on {on}"
        ),
        (Finding::Symptoms { min_count }, Language::SimplifiedChinese) => {
            format!("您于{on}申报或被报告了本规则所列症状中的{min_count}项或以上")
        }
        (Finding::MedicineWithSymptoms, Language::English) => format!(
            "{} was bought around a declaration of symptoms on {on}",
            medicine(evidence, language)
        ),
        (Finding::MedicineWithSymptoms, Language::SimplifiedChinese) => {
            format!("您在{on}申报症状前后购买了{}", medicine(evidence, language))
        }
        (Finding::Downgraded { from, inner }, Language::English) => {
            let test = evidence.iter().rev().find_map(test_time);
            format!(
                "{}; a negative test sampled on {} lowered this from {}",
                self::finding(inner, evidence, when),
                test.map(|at| when.at(at)).unwrap_or_default(),
                colour_word(*from, language)
            )
        }
        (Finding::Downgraded { from, inner }, Language::SimplifiedChinese) => {
            let test = evidence.iter().rev().find_map(test_time);
            format!(
                "{}；{}采样的阴性检测结果已将其从{}降低",
                self::finding(inner, evidence, when),
                test.map(|at| when.at(at)).unwrap_or_default(),
                colour_word(*from, language)
            )
        }
        (Finding::Override { reason }, Language::English) => {
            let on_appeal = evidence.iter().any(|e| {
                matches!(
                    e,
                    Evidence::Override {
                        appeal: Some(_),
                        ..
                    }
                )
            });
            if on_appeal {
                format!("a health official set this colour on your appeal: \"{reason}\"")
            } else {
                format!("a health official set this colour: \"{reason}\"")
            }
        }
        (Finding::Override { reason }, Language::SimplifiedChinese) => {
            let on_appeal = evidence.iter().any(|e| {
                matches!(
                    e,
                    Evidence::Override {
                        appeal: Some(_),
                        ..
                    }
                )
            });
            if on_appeal {
                format!("卫生健康工作人员根据您的申诉设定了此颜色：“{reason}”")
            } else {
                format!("卫生健康工作人员设定了此颜色：“{reason}”")
            }
        }
    }
}

fn stay(evidence: &[Evidence], when: When) -> String {
    let Some(Evidence::Stay {
        region,
        listed_region,
        level,
        list_version,
        from,
        to,
        ..
    }) = evidence.iter().find(|e| matches!(e, Evidence::Stay { .. }))
    else {
        return String::new();
    };
    let listed = if listed_region == region {
        String::new()
    } else {
        match when.language {
            Language::English => format!(", within {listed_region}"),
            Language::SimplifiedChinese => format!("（属{listed_region}）"),
        }
    };
    match when.language {
        Language::English => format!(
            "you stayed in region {region}{listed} from {from} to {to}, listed as {} risk \
             (region-risk list version {list_version})",
            level.code()
        ),
        Language::SimplifiedChinese => format!(
            "您于{from}至{to}在地区{region}{listed}停留，该地区被列为{}风险地区（风险地区名单第{list_version}版）",
            match level {
                RiskLevel::High => "高",
                RiskLevel::Medium => "中",
                RiskLevel::Low => "低",
            }
        ),
    }
}

fn setting(evidence: &[Evidence], language: Language) -> &'static str {
    let setting = evidence.iter().find_map(|e| match e {
        Evidence::Contact { setting, .. } => Some(*setting),
        _ => None,
    });
    match (setting, language) {
        (Some(ContactSetting::Venue(_)), Language::English) => "at the same venue",
        (Some(ContactSetting::Venue(_)), Language::SimplifiedChinese) => "同一场所",
        (Some(ContactSetting::Trip(_)), Language::English) => "on the same trip",
        (Some(ContactSetting::Trip(_)), Language::SimplifiedChinese) => "同一行程",
        (Some(ContactSetting::Household), Language::English) => "in the same household",
        (Some(ContactSetting::Household), Language::SimplifiedChinese) => "同一住户",
        (Some(ContactSetting::Nearby), Language::English) => "nearby, by phone data",
        (Some(ContactSetting::Nearby), Language::SimplifiedChinese) => "经手机信令发现在附近",
        (None, Language::English) => "found by tracing",
        (None, Language::SimplifiedChinese) => "经流调发现",
    }
}

fn medicine(evidence: &[Evidence], language: Language) -> &'static str {
    let medicine = evidence.iter().find_map(|e| match e {
        Evidence::PharmacyPurchase { medicine, .. } => Some(*medicine),
        _ => None,
    });
    match (medicine, language) {
        (Some(Medicine::FeverReducer), Language::English) => "fever medicine",
        (Some(Medicine::FeverReducer), Language::SimplifiedChinese) => "退烧药",
        (Some(Medicine::CoughMedicine), Language::English) => "cough medicine",
        (Some(Medicine::CoughMedicine), Language::SimplifiedChinese) => "止咳药",
        (Some(Medicine::Antiviral), Language::English) => "antiviral medicine",
        (Some(Medicine::Antiviral), Language::SimplifiedChinese) => "抗病毒药",
        (None, Language::English) => "medicine",
        (None, Language::SimplifiedChinese) => "药品",
    }
}

/// The moment a piece of evidence is about, for the reason's text.
fn evidence_time(evidence: &Evidence) -> Option<Timestamp> {
    match evidence {
        Evidence::Declaration { at, .. } | Evidence::HealthReport { at, .. } => Some(*at),
        Evidence::TestResult { sampled_at, .. } => Some(*sampled_at),
        Evidence::PharmacyPurchase { .. } | Evidence::Stay { .. } => None,
        Evidence::Contact { last_exposure, .. } => Some(*last_exposure),
        Evidence::Case { since, .. } => Some(*since),
        Evidence::Override { set_at, .. } => Some(*set_at),
    }
}

fn test_time(evidence: &Evidence) -> Option<Timestamp> {
    match evidence {
        Evidence::TestResult { sampled_at, .. } => Some(*sampled_at),
        _ => None,
    }
}

fn colour_title(colour: Colour) -> &'static str {
    match colour {
        Colour::Green => "Green",
        Colour::Yellow => "Yellow",
        Colour::Red => "Red",
    }
}

fn colour_word(colour: Colour, language: Language) -> &'static str {
    match (colour, language) {
        (Colour::Green, Language::English) => "green",
        (Colour::Yellow, Language::English) => "yellow",
        (Colour::Red, Language::English) => "red",
        (Colour::Green, Language::SimplifiedChinese) => "绿码",
        (Colour::Yellow, Language::SimplifiedChinese) => "黄码",
        (Colour::Red, Language::SimplifiedChinese) => "红码",
    }
}

fn tenths(value: i16) -> String {
    format!("{}.{}", value / 10, (value % 10).abs())
}

/// How moments are written for people: in the policy's offset, to the minute.
#[derive(Clone, Copy)]
struct When {
    language: Language,
    offset: Offset,
}

impl When {
    fn at(self, at: Timestamp) -> String {
        let zoned = at.to_zoned(TimeZone::fixed(self.offset));
        let format = match self.language {
            Language::English => "%-d %b %Y %H:%M",
            Language::SimplifiedChinese => "%Y年%-m月%-d日 %H:%M",
        };
        jiff::fmt::strtime::format(format, &zoned).unwrap_or_else(|_| at.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rating::{OverrideId, PolicyVersion, RuleId};

    fn override_reason(words: &str) -> Reason {
        let at: Timestamp = "2026-02-11T01:00:00Z".parse().unwrap();
        Reason {
            rule_id: RuleId::override_id(),
            policy_version: PolicyVersion::parse("default@1").unwrap(),
            colour: Colour::Green,
            since: at,
            until: Until::At("2026-02-14T01:00:00Z".parse().unwrap()),
            finding: Finding::Override {
                reason: words.to_owned(),
            },
            evidence: vec![Evidence::Override {
                id: OverrideId::from_bytes([1; 16]),
                set_by: crate::StaffId::from_bytes([2; 16]),
                set_at: at,
                appeal: None,
            }],
        }
    }

    #[test]
    fn an_official_reason_that_ends_a_sentence_is_not_followed_by_a_second_stop() {
        let offset = Offset::constant(8);
        let texts = [
            (
                "Checked by phone.",
                Language::English,
                "Green: a health official set this colour: \"Checked by phone.\" This holds until \
                 14 Feb 2026 09:00 if nothing changes.",
            ),
            (
                "Checked by phone",
                Language::English,
                "Green: a health official set this colour: \"Checked by phone\". This holds until \
                 14 Feb 2026 09:00 if nothing changes.",
            ),
            (
                "已电话核实。",
                Language::SimplifiedChinese,
                "绿码：卫生健康工作人员设定了此颜色：“已电话核实。”如无新情况，持续至2026年2月14日 09:00。",
            ),
        ];
        for (words, language, expected) in texts {
            assert_eq!(override_reason(words).text(language, offset), expected);
        }
    }
}
