//! WIT types made from fuzz input bytes: each byte picks the next choice, and the input running out picks the
//! simplest, so every input is a type and small changes to the input make small changes to the type.

use wrpc_bridge::wit::{Function, Type};

/// How deep types nest.
const MAX_DEPTH: usize = 4;

/// Fuzz input, consumed a byte at a time.
pub(crate) struct Input<'a>(pub(crate) &'a [u8]);

impl<'a> Input<'a> {
    /// The next byte, or 0 once the input has run out.
    pub(crate) fn byte(&mut self) -> u8 {
        let (&first, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        first
    }

    /// A number in `0..bound` (bound at least 1).
    fn below(&mut self, bound: u8) -> usize {
        usize::from(self.byte() % bound.max(1))
    }

    /// What is left.
    pub(crate) fn rest(self) -> &'a [u8] {
        self.0
    }
}

/// A function whose parameters (none to three) and results are the same types, made from `input`.
pub(crate) fn function(input: &mut Input<'_>) -> Function {
    let params: Vec<(String, Type)> = (0..input.below(4)).map(|i| (format!("p{i}"), ty(input, 0))).collect();
    let results = params.iter().map(|(_, ty)| ty.clone()).collect();
    Function { name: "f".to_owned(), params, results }
}

fn ty(input: &mut Input<'_>, depth: usize) -> Type {
    let kinds = if depth >= MAX_DEPTH { 13 } else { 21 };
    let nested = |input: &mut Input<'_>| Box::new(ty(input, depth + 1));
    let names = |input: &mut Input<'_>, prefix: &str, most: u8| -> Vec<String> {
        (0..=input.below(most)).map(|i| format!("{prefix}-{i}")).collect()
    };
    match input.below(kinds) {
        0 => Type::Bool,
        1 => Type::S8,
        2 => Type::S16,
        3 => Type::S32,
        4 => Type::S64,
        5 => Type::U8,
        6 => Type::U16,
        7 => Type::U32,
        8 => Type::U64,
        9 => Type::F32,
        10 => Type::F64,
        11 => Type::Char,
        12 => Type::String,
        13 => Type::List(nested(input)),
        14 => Type::Tuple((0..=input.below(3)).map(|_| ty(input, depth + 1)).collect()),
        15 => Type::Record(names(input, "field", 4).into_iter().map(|name| (name, ty(input, depth + 1))).collect()),
        16 => Type::Variant(
            names(input, "case", 4)
                .into_iter()
                .map(|name| {
                    let payload = (input.byte() % 2 == 1).then(|| ty(input, depth + 1));
                    (name, payload)
                })
                .collect(),
        ),
        17 => Type::Enum(names(input, "case", 4)),
        18 => Type::Flags(names(input, "flag", 40)),
        19 => Type::Option(nested(input)),
        _ => {
            let ok = (input.byte() % 2 == 1).then(|| nested(input));
            let err = (input.byte() % 2 == 1).then(|| nested(input));
            Type::Result { ok, err }
        }
    }
}
