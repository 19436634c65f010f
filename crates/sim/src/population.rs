//! Residents in households, with ages, sexes and synthetic but valid resident ID numbers.
//!
//! Shares come from China's seventh national population census (2020): 17.95% of people aged
//! 0–14, 63.35% aged 15–59 and 18.70% aged 60 or more; family households of 2.62 people on
//! average, with the size shares below (one person 25%, two 30%, three 21%, four 13%, five or
//! more 11%; five stands for five or more here, which gives 2.54 on average). Within an age
//! band ages are uniform. Every household has an adult, so there are a little fewer children
//! (about 11%) and more older people (about 21%) than the census's shares.
//!
//! An ID number is the six-digit code of the region of registration (for most residents a
//! district of Hangzhou, for some a city elsewhere, as for people who moved there), the birth
//! date, a three-digit sequence whose last digit is odd for men and even for women, and the
//! check character of GB 11643-1999. Every number is unique within a population; none is a
//! real person's except by chance of the format.
//!
//! Names are a common surname (most members of a household share the first member's) and one
//! or two common given-name characters; phones are unique mobile numbers. Like the ID numbers
//! they are synthetic: any likeness to a real person is chance.

use healthcode_core::{PersonName, PhoneNumber, ResidentId};
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

/// Districts of Hangzhou where residents live: Shangcheng, Gongshu, Xihu, Binjiang, Xiaoshan,
/// Yuhang.
pub const DISTRICTS: [&str; 6] = ["330102", "330105", "330106", "330108", "330109", "330110"];

/// Regions of registration of residents who moved to the city: Beijing Chaoyang, Shanghai
/// Xuhui, Wuhan Jiang'an, Shenzhen Futian, Chengdu Jinjiang.
const ELSEWHERE: [&str; 5] = ["110105", "310104", "420102", "440304", "510104"];

/// The twenty commonest surnames.
const SURNAMES: [&str; 20] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗",
];

/// Common characters of given names.
const GIVEN: [&str; 40] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "英", "华", "玉", "兰", "文", "辉", "建", "国", "红", "梅", "亮",
    "鹏", "宇", "浩", "婷", "雪", "琳", "晨", "欣",
];

/// The first three digits of Chinese mobile numbers.
const MOBILE_PREFIXES: [u64; 8] = [134, 135, 136, 137, 138, 139, 150, 186];

/// The share of residents registered outside the city.
const BORN_ELSEWHERE: f64 = 0.3;

/// Household sizes 1 to 5 and their shares (five stands for five or more).
const HOUSEHOLD_SIZES: [(usize, f64); 5] =
    [(1, 0.254), (2, 0.297), (3, 0.209), (4, 0.132), (5, 0.108)];

/// Age bands (first and last age) and their shares.
const AGE_BANDS: [(u8, u8, f64); 3] = [(0, 14, 0.1795), (15, 59, 0.6335), (60, 95, 0.1870)];

/// Male or female, as the ID number's sequence says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "m",
            Sex::Female => "f",
        }
    }
}

/// One resident of the synthetic city.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resident {
    /// A UUID drawn from the seed: the person id the system knows them by.
    pub person_id: uuid::Uuid,
    pub resident_id: ResidentId,
    pub name: PersonName,
    pub phone: PhoneNumber,
    /// Age in whole years on the first day of the simulation.
    pub age: u8,
    pub sex: Sex,
    /// Index of the household, counting from 0.
    pub household: u32,
    /// Where the household lives, by index into [`DISTRICTS`].
    pub district: usize,
}

/// Everyone, in household order.
#[derive(Clone, Debug, Default)]
pub struct Population {
    pub residents: Vec<Resident>,
}

impl Population {
    /// `count` residents in households, from `rng`. `year` is the year of the simulation's
    /// first day, which ages are counted to.
    pub fn generate(count: usize, year: i16, rng: &mut ChaCha8Rng) -> Population {
        let mut residents = Vec::with_capacity(count);
        let mut taken = std::collections::HashSet::with_capacity(count);
        let mut phones = std::collections::HashSet::with_capacity(count);
        let mut household = 0u32;
        while residents.len() < count {
            let size = pick_weighted(rng, &HOUSEHOLD_SIZES).min(count - residents.len());
            let district = rng.random_range(0..DISTRICTS.len());
            let family = *SURNAMES.choose(rng).expect("surnames are listed");
            for member in 0..size {
                // Someone in every household is an adult: the first member's age is drawn
                // again until it is 18 or more.
                let age = loop {
                    let (first, last) = pick_weighted(
                        rng,
                        &AGE_BANDS.map(|(first, last, share)| ((first, last), share)),
                    );
                    let age = rng.random_range(first..=last);
                    if member > 0 || age >= 18 {
                        break age;
                    }
                };
                let sex = if rng.random_bool(0.5) {
                    Sex::Male
                } else {
                    Sex::Female
                };
                let region = if rng.random_bool(BORN_ELSEWHERE) {
                    *ELSEWHERE.choose(rng).expect("regions are listed")
                } else {
                    DISTRICTS[district]
                };
                let resident_id = loop {
                    let id = resident_id(rng, region, year, age, sex);
                    if taken.insert(id.as_str().to_owned()) {
                        break id;
                    }
                };
                let surname = if member == 0 || rng.random_bool(0.6) {
                    family
                } else {
                    *SURNAMES.choose(rng).expect("surnames are listed")
                };
                let mut name = surname.to_owned();
                for _ in 0..rng.random_range(1..=2) {
                    name.push_str(GIVEN.choose(rng).expect("characters are listed"));
                }
                let phone = loop {
                    let prefix = *MOBILE_PREFIXES.choose(rng).expect("prefixes are listed");
                    let number = prefix * 100_000_000 + rng.random_range(0..100_000_000);
                    if phones.insert(number) {
                        break number;
                    }
                };
                residents.push(Resident {
                    person_id: uuid::Builder::from_random_bytes(rng.random()).into_uuid(),
                    resident_id,
                    name: PersonName::parse(&name).expect("a short name of Chinese characters"),
                    phone: PhoneNumber::parse(&phone.to_string()).expect("a mobile number"),
                    age,
                    sex,
                    household,
                    district,
                });
            }
            household += 1;
        }
        Population { residents }
    }

    /// Where each household's members start (they are contiguous), and one past the last.
    pub fn household_starts(&self) -> Vec<u32> {
        let mut starts = Vec::new();
        for (index, resident) in self.residents.iter().enumerate() {
            if starts.len() as u32 <= resident.household {
                starts.push(index as u32);
            }
        }
        starts.push(self.residents.len() as u32);
        starts
    }

    pub fn len(&self) -> usize {
        self.residents.len()
    }

    pub fn is_empty(&self) -> bool {
        self.residents.is_empty()
    }
}

/// A valid ID number for someone of `age` on 1 January of `year`, registered in `region`.
fn resident_id(rng: &mut ChaCha8Rng, region: &str, year: i16, age: u8, sex: Sex) -> ResidentId {
    let born = i32::from(year) - i32::from(age) - 1;
    let month = rng.random_range(1..=12u8);
    let day = rng.random_range(1..=days_in_month(born, month));
    let sequence = rng.random_range(0..500u16) * 2 + u16::from(sex == Sex::Male);
    ResidentId::with_check_character(&format!("{region}{born:04}{month:02}{day:02}{sequence:03}"))
        .expect("seventeen digits with a real birth date")
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// One of `choices`, each with its weight.
fn pick_weighted<T: Copy>(rng: &mut ChaCha8Rng, choices: &[(T, f64)]) -> T {
    let total: f64 = choices.iter().map(|(_, weight)| weight).sum();
    let mut point = rng.random_range(0.0..total);
    for (choice, weight) in choices {
        if point < *weight {
            return *choice;
        }
        point -= weight;
    }
    choices.last().expect("choices are not empty").0
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn residents_have_unique_valid_ids_whose_birth_dates_match_their_ages() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let population = Population::generate(20_000, 2026, &mut rng);
        assert_eq!(population.len(), 20_000);
        let mut seen = std::collections::HashSet::new();
        for resident in &population.residents {
            let id = resident.resident_id.as_str();
            assert!(ResidentId::parse(id).is_ok(), "{id}");
            assert!(seen.insert(id.to_owned()), "{id} is given twice");
            let born: i32 = id[6..10].parse().unwrap();
            assert_eq!(2026 - born - 1, i32::from(resident.age), "{id}");
            let odd = id.as_bytes()[16] % 2 == 1;
            assert_eq!(odd, resident.sex == Sex::Male, "{id}");
        }
    }

    #[test]
    fn residents_have_short_chinese_names_and_unique_mobile_numbers() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let population = Population::generate(20_000, 2026, &mut rng);
        let mut phones = std::collections::HashSet::new();
        for resident in &population.residents {
            let name = resident.name.as_str();
            assert!((2..=3).contains(&name.chars().count()), "{name}");
            assert!(
                SURNAMES.iter().any(|surname| name.starts_with(surname)),
                "{name}"
            );
            let phone = resident.phone.as_str();
            assert!(
                PhoneNumber::parse(phone).is_ok() && phone.len() == 11,
                "{phone}"
            );
            assert!(phones.insert(phone.to_owned()), "{phone} is given twice");
        }
    }

    #[test]
    fn ages_and_household_sizes_follow_the_census_shares() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let population = Population::generate(100_000, 2026, &mut rng);
        let share = |test: &dyn Fn(&Resident) -> bool| {
            population.residents.iter().filter(|r| test(r)).count() as f64 / 100_000.0
        };
        // Every household has an adult, which shifts the shares a little from the census's.
        let children = share(&|r| r.age <= 14);
        let older = share(&|r| r.age >= 60);
        assert!((children - 0.11).abs() < 0.02, "{children}");
        assert!((older - 0.21).abs() < 0.02, "{older}");
        let households = population.residents.last().unwrap().household as f64 + 1.0;
        let mean_size = 100_000.0 / households;
        assert!((mean_size - 2.54).abs() < 0.05, "{mean_size}");
    }
}
