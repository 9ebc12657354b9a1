//! The built-in curriculum: 30 real Common Core math standards per grade (6–8) and, per domain, the
//! misconceptions that item distractors point to.

use super::model::Grade;

/// Items written per standard in the item bank.
pub(crate) const ITEMS_PER_STANDARD: usize = 6;
/// Misconceptions each standard's distractors draw from.
pub(crate) const MISCONCEPTIONS_PER_STANDARD: usize = 4;

/// Short CCSS codes (`6.RP.A.1`, prefixed with `CCSS.MATH.CONTENT.` when written) and titles.
const GRADE_6: [(&str, &str); 30] = [
    ("6.RP.A.1", "Ratio language"),
    ("6.RP.A.2", "Unit rates"),
    ("6.RP.A.3", "Ratio and rate reasoning"),
    ("6.RP.A.3.C", "Percent of a quantity"),
    ("6.NS.A.1", "Dividing fractions by fractions"),
    ("6.NS.B.2", "Dividing multi-digit numbers"),
    ("6.NS.B.3", "Operations with multi-digit decimals"),
    ("6.NS.B.4", "Greatest common factor and least common multiple"),
    ("6.NS.C.5", "Positive and negative numbers in context"),
    ("6.NS.C.6", "Rational numbers on the number line"),
    ("6.NS.C.7", "Ordering and absolute value"),
    ("6.NS.C.8", "Distance in the coordinate plane"),
    ("6.EE.A.1", "Whole-number exponents"),
    ("6.EE.A.2", "Writing and evaluating expressions"),
    ("6.EE.A.3", "Equivalent expressions from properties"),
    ("6.EE.A.4", "Identifying equivalent expressions"),
    ("6.EE.B.5", "Solutions of equations and inequalities"),
    ("6.EE.B.6", "Variables in expressions"),
    ("6.EE.B.7", "One-step equations"),
    ("6.EE.B.8", "Inequalities of the form x > c"),
    ("6.EE.C.9", "Dependent and independent variables"),
    ("6.G.A.1", "Area of triangles and polygons"),
    ("6.G.A.2", "Volume with fractional edge lengths"),
    ("6.G.A.3", "Polygons in the coordinate plane"),
    ("6.G.A.4", "Nets and surface area"),
    ("6.SP.A.1", "Statistical questions"),
    ("6.SP.A.2", "Center, spread and shape of a distribution"),
    ("6.SP.A.3", "Measures of center and variation"),
    ("6.SP.B.4", "Dot plots, histograms and box plots"),
    ("6.SP.B.5", "Summarizing numerical data sets"),
];

const GRADE_7: [(&str, &str); 30] = [
    ("7.RP.A.1", "Unit rates with fractions"),
    ("7.RP.A.2", "Proportional relationships"),
    ("7.RP.A.2.A", "Testing for proportionality"),
    ("7.RP.A.2.B", "Constant of proportionality"),
    ("7.RP.A.2.C", "Equations of proportional relationships"),
    ("7.RP.A.3", "Multistep ratio and percent problems"),
    ("7.NS.A.1", "Adding and subtracting rational numbers"),
    ("7.NS.A.1.B", "Sums as distances on the number line"),
    ("7.NS.A.2", "Multiplying and dividing rational numbers"),
    ("7.NS.A.2.A", "Products of signed numbers"),
    ("7.NS.A.3", "Real-world problems with rational numbers"),
    ("7.EE.A.1", "Expanding and factoring linear expressions"),
    ("7.EE.A.2", "Rewriting expressions in context"),
    ("7.EE.B.3", "Multistep problems with rational numbers"),
    ("7.EE.B.4", "Equations and inequalities from word problems"),
    ("7.EE.B.4.A", "Solving px + q = r"),
    ("7.G.A.1", "Scale drawings"),
    ("7.G.A.2", "Drawing geometric shapes"),
    ("7.G.A.3", "Cross-sections of solids"),
    ("7.G.B.4", "Area and circumference of a circle"),
    ("7.G.B.5", "Angle relationships"),
    ("7.G.B.6", "Area, volume and surface area problems"),
    ("7.SP.A.1", "Random sampling"),
    ("7.SP.A.2", "Inferences from random samples"),
    ("7.SP.B.3", "Comparing two distributions"),
    ("7.SP.B.4", "Comparing populations by center and variability"),
    ("7.SP.C.5", "Probability as a number from 0 to 1"),
    ("7.SP.C.6", "Approximating probability from frequency"),
    ("7.SP.C.7", "Probability models"),
    ("7.SP.C.8", "Probabilities of compound events"),
];

const GRADE_8: [(&str, &str); 30] = [
    ("8.NS.A.1", "Rational and irrational numbers"),
    ("8.NS.A.2", "Approximating irrational numbers"),
    ("8.EE.A.1", "Properties of integer exponents"),
    ("8.EE.A.2", "Square roots and cube roots"),
    ("8.EE.A.3", "Estimating with powers of ten"),
    ("8.EE.A.4", "Operations in scientific notation"),
    ("8.EE.B.5", "Graphing proportional relationships"),
    ("8.EE.B.6", "Slope from similar triangles"),
    ("8.EE.C.7", "Linear equations in one variable"),
    ("8.EE.C.7.B", "Equations with rational coefficients"),
    ("8.EE.C.8", "Systems of linear equations"),
    ("8.EE.C.8.B", "Solving systems algebraically"),
    ("8.F.A.1", "Functions as input-output rules"),
    ("8.F.A.2", "Comparing functions in different forms"),
    ("8.F.A.3", "Linear and nonlinear functions"),
    ("8.F.B.4", "Modeling with linear functions"),
    ("8.F.B.5", "Describing functions from graphs"),
    ("8.G.A.1", "Properties of rigid motions"),
    ("8.G.A.2", "Congruence through rigid motions"),
    ("8.G.A.3", "Transformations on coordinates"),
    ("8.G.A.4", "Similarity through transformations"),
    ("8.G.A.5", "Angles of triangles and parallel lines"),
    ("8.G.B.6", "Explaining the Pythagorean theorem"),
    ("8.G.B.7", "Applying the Pythagorean theorem"),
    ("8.G.B.8", "Distance between two points"),
    ("8.G.C.9", "Volume of cones, cylinders and spheres"),
    ("8.SP.A.1", "Scatter plots"),
    ("8.SP.A.2", "Lines of fit"),
    ("8.SP.A.3", "Interpreting slope and intercept"),
    ("8.SP.A.4", "Two-way tables"),
];

/// The standards of one grade, in teaching order.
pub(crate) fn grade_standards(grade: Grade) -> &'static [(&'static str, &'static str)] {
    match grade {
        Grade::Six => &GRADE_6,
        Grade::Seven => &GRADE_7,
        Grade::Eight => &GRADE_8,
    }
}

/// Misconceptions typical of a CCSS domain (`RP`, `NS`, `EE`, `G`, `SP`, `F`), lowercase kebab-case.
fn domain_misconceptions(domain: &str) -> &'static [&'static str] {
    match domain {
        "RP" => &[
            "ratio-as-difference",
            "inverted-ratio",
            "part-part-as-part-whole",
            "additive-scaling",
            "unit-rate-wrong-divisor",
            "percent-as-whole-number",
        ],
        "NS" => &[
            "divide-numerators-only",
            "invert-wrong-fraction",
            "decimal-place-misaligned",
            "larger-digits-larger-negative",
            "sign-ignored",
            "absolute-value-as-opposite",
            "gcf-lcm-confused",
        ],
        "EE" => &[
            "exponent-as-multiplication",
            "operations-left-to-right",
            "combine-unlike-terms",
            "distribute-first-term-only",
            "inverse-operation-wrong",
            "inequality-direction-flipped",
            "variable-as-label",
        ],
        "G" => &[
            "area-perimeter-confused",
            "missing-one-half",
            "radius-diameter-confused",
            "surface-area-as-volume",
            "scale-factor-applied-to-area",
            "angle-sum-wrong",
        ],
        "SP" => &[
            "mean-median-confused",
            "range-as-center",
            "sample-not-representative",
            "probability-above-one",
            "outcomes-assumed-equally-likely",
            "correlation-as-causation",
        ],
        _ => &[
            "slope-as-intercept",
            "rise-over-run-inverted",
            "nonlinear-as-linear",
            "input-output-swapped",
            "graph-as-picture",
        ],
    }
}

/// The misconceptions the distractors of the `index`-th standard of a grade point to: a window of
/// its domain's list, shifted per standard so neighbouring standards differ.
pub(crate) fn standard_misconceptions(code: &str, index: usize) -> Vec<&'static str> {
    let domain = code.split('.').nth(1).unwrap_or("");
    let pool = domain_misconceptions(domain);
    (0..MISCONCEPTIONS_PER_STANDARD.min(pool.len())).map(|j| pool[(index + j) % pool.len()]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_grade_has_thirty_distinct_codes_of_its_grade() {
        for grade in Grade::ALL {
            let standards = grade_standards(grade);
            assert_eq!(standards.len(), 30);
            let mut codes: Vec<&str> = standards.iter().map(|s| s.0).collect();
            codes.sort_unstable();
            codes.dedup();
            assert_eq!(codes.len(), 30, "{grade:?} repeats a code");
            let prefix = format!("{}.", grade.number());
            assert!(standards.iter().all(|s| s.0.starts_with(&prefix)));
        }
    }

    #[test]
    fn misconceptions_are_kebab_case_and_distinct_per_standard() {
        for grade in Grade::ALL {
            for (i, (code, _)) in grade_standards(grade).iter().enumerate() {
                let m = standard_misconceptions(code, i);
                assert_eq!(m.len(), MISCONCEPTIONS_PER_STANDARD, "{code}");
                let mut sorted = m.clone();
                sorted.sort_unstable();
                sorted.dedup();
                assert_eq!(sorted.len(), m.len(), "{code}");
                for code in m {
                    assert!(code.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{code}");
                }
            }
        }
    }
}
