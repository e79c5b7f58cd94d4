//! The law verifier finds real counterexamples and passes lawful merges.

use crdt_merge_core::table::{verify_laws, verify_table_merge, Law, MergeOptions, Prefer, Table};
use crdt_merge_core::Value;

struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn gen_table(rng: &mut Lcg) -> Table {
    let mut rows = Vec::new();
    let mut keys: Vec<i64> = (0..6).collect();
    keys.retain(|_| rng.next(2) == 0);
    for k in keys {
        let v = match rng.next(4) {
            0 => None,
            1 => Some(Value::None),
            2 => Some(Value::Int(rng.next(5) as i64)),
            _ => Some(Value::str(["a", "b", "c"][rng.next(3) as usize])),
        };
        rows.push(vec![Some(Value::Int(k)), v]);
    }
    Table {
        columns: vec!["id".into(), "v".into()],
        rows,
    }
}

#[test]
fn lawful_table_merge_passes() {
    let mut rng = Lcg(1);
    let v = verify_table_merge(&MergeOptions::keyed(["id"]), || gen_table(&mut rng), 200);
    assert!(v.passed(), "{}", v.summary());
    assert!(v.summary().contains("commutativity: PASS (200 trials)"));
}

#[test]
fn prefer_a_fails_commutativity_with_a_counterexample() {
    let mut rng = Lcg(2);
    let mut o = MergeOptions::keyed(["id"]);
    o.prefer = Prefer::A;
    let v = verify_table_merge(&o, || gen_table(&mut rng), 200);
    assert!(!v.passed());
    let comm = &v.results[0];
    assert_eq!(comm.law, Law::Commutativity);
    assert!(
        comm.failures > 0
            && comm
                .counterexample
                .as_ref()
                .unwrap()
                .contains("merge(b,a)=")
    );
    assert!(
        v.results[1].passed() && v.results[2].passed(),
        "{}",
        v.summary()
    );
}

#[test]
fn generic_merge_functions() {
    let mut rng = Lcg(3);
    let max = verify_laws(
        |a: &i64, b: &i64| Ok::<_, ()>(*a.max(b)),
        || rng.next(100) as i64,
        |x, y| x == y,
        100,
    );
    assert!(max.passed());
    let mut rng = Lcg(4);
    let sub = verify_laws(
        |a: &i64, b: &i64| Ok::<_, ()>(a - b),
        || rng.next(100) as i64 + 1,
        |x, y| x == y,
        100,
    );
    assert_eq!(sub.results.iter().filter(|r| !r.passed()).count(), 3);
    let mut rng = Lcg(5);
    let err = verify_laws(
        |_: &i64, _: &i64| Err::<i64, _>("boom"),
        || rng.next(3) as i64,
        |x, y| x == y,
        10,
    );
    assert_eq!(err.results[2].failures, 10);
}
