#!/usr/bin/env bash
# The gradient lessons, end to end, with gradcli — and every lesson figure regenerated.
#
#   bash examples/lessons.sh            # figures go to examples/figures/
#   FIGURES=/tmp/figs DPI=150 bash examples/lessons.sh
#
# Each lesson prints a heading, runs the commands a teacher would show, and writes its figure.
set -euo pipefail
cd "$(dirname "$0")/.."
FIGURES=${FIGURES:-examples/figures}
DPI=${DPI:-100}  # the README figures; 150 or more for a projector
mkdir -p "$FIGURES"
export NO_COLOR=1 COLUMNS=${COLUMNS:-100}
lesson() { printf '\n\033[1m== %s ==\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

lesson "1. A derivative is a slope: x² at 3 and at 4"
run gradcli grad "x**2" --at 3 --at 4
run gradcli plot "x**2" --at 3 --at 4 --dpi "$DPI" -o "$FIGURES/slope.png"

lesson "2. The slope from a small step: (f(x+h) − f(x))/h for 5x"
run gradcli partial "5*x" --wrt x --at 2 --check --step 0.001

lesson "3. Partial derivatives move one variable and hold the other constant"
run gradcli partial "x**2 + y**2" --wrt x --explain
run gradcli partial "x**2 + y**2" --wrt y --at 3,1

lesson "4. The gradient collects them and points up the steepest ascent"
run gradcli grad "x**2+y**2" --at 3,1 --at -2,-2
run gradcli plot "x**2+y**2" --at 3,1 --at -2,-2 --dpi "$DPI" -o "$FIGURES/gradients.png"

lesson "5. The gradient is perpendicular to the level curve"
run gradcli level "x**2+y**2" --at 1,1 --samples 6
run gradcli plot "x**2+y**2" --at 1,1 --dpi "$DPI" -o "$FIGURES/level-curve.png"

lesson "6. The gradient is zero at minima, maxima and saddles"
run gradcli grad "x**2+y**2" --at 0,0
run gradcli grad --at 0,0 -- "-x**2-y**2"   # "--": the expression starts with a minus
run gradcli grad "x**2-y**2" --at 0,0
run gradcli critical "x**3 - 3*x + y**2"
run gradcli plot "x**2-y**2" --at 0,0 --dpi "$DPI" -o "$FIGURES/saddle.png"
run gradcli plot "x**2-y**2" --surface --dpi "$DPI" -o "$FIGURES/saddle-surface.png"

lesson "7. Gradient descent: the learning rate decides crawling, converging or overshooting"
run gradcli descend "x**2+10*y**2" --from 1,1 --lr 0.01 --lr 0.05 --lr 0.11 --steps 200 --summary
run gradcli plot "x**2+10*y**2" --from 1,1 --lr 0.01 --lr 0.05 --lr 0.11 --steps 15 --range x=-2:2,y=-3:3 --dpi "$DPI" -o "$FIGURES/learning-rates.png"
run gradcli plot @rosenbrock --from -1.2,1 --method gd --method adam --lr 0.001 --steps 2000 --dpi "$DPI" -o "$FIGURES/race.png"
run gradcli plot "x**2+3*y**2" --from 3,1 --animate --dpi "$DPI" -o "$FIGURES/descent.gif"
echo '# curvature: newton and bfgs pick each step by a line search along a better direction than −∇f'
run gradcli descend @rosenbrock --from -1.2,1 --method gd --method adam --method newton --method bfgs --method lbfgs --method cg --lr 0.002 --steps 3000 --summary
run gradcli plot @rosenbrock --from -1.2,1 --method gd --method adam --method bfgs --method newton --lr 0.002 --steps 3000 --dpi "$DPI" -o "$FIGURES/curvature.png"

lesson "8. Vanishing gradients: a plateau and a saturated sigmoid"
echo '# far out on the plateau ‖∇f‖ is already under tol: the run stops at once — on a plateau, not a saddle'
run gradcli descend @plateau --from 3,3 --summary
echo '# adam takes steps of about lr however small ‖∇f‖ is: with a smaller tol it crosses the plateau'
run gradcli descend @plateau --from 3,3 --tol 1e-12 --method adam --summary
echo '# four nested sigmoids at w = 5: the inner one is saturated, and the chain rule multiplies slopes'
run gradcli descend "sigmoid(sigmoid(sigmoid(sigmoid(w))))" --from 5 --lr 0.5 --summary
run gradcli plot @plateau --from 3,3 --from 1,1 --method adam --tol 1e-12 --dpi "$DPI" -o "$FIGURES/plateau.png"

lesson "9. Exploding gradients, and their remedy: gradient clipping"
echo '# cosh grows exponentially: from (6, 4) one step of lr 0.5 lands at x ≈ -95, and the next overflows;'
echo '# clip_grad_norm_ scales a gradient longer than 1 down to 1, so no step is longer than lr: both runs side by side'
run gradcli descend "cosh(x)+cosh(y)" --from 6,4 --lr 0.5 --clip-norm none,1 --summary
run gradcli plot "cosh(x)+cosh(y)" --from 6,4 --lr 0.5 --clip-norm none,1 --range x=-7:7,y=-7:7 --title "cosh x + cosh y:  gd, lr = 0.5, with and without clipping ‖g‖ to 1" --dpi "$DPI" -o "$FIGURES/clipping.png"

lesson "10. The rest of a training loop: learning-rate schedules, weight decay, stochastic gradients"
echo '# at lr = 2/λmax a constant lr bounces between the walls of the valley for ever; cosine annealing settles'
run gradcli plot "x**2+10*y**2" --from -2.5,1 --lr 0.1 --schedule constant --schedule cosine --steps 40 --range x=-3:1.5,y=-1.5:1.5 --title "x² + 10y², gd lr 0.1: constant vs cosine annealing" --dpi "$DPI" -o "$FIGURES/schedule.png"
echo '# L2 weight decay: the run minimises f + WD/2·‖x‖², so it settles between the minimum of f and 0'
run gradcli descend "(x-2)**2+(y-1)**2" --from -1.5,2.5 --weight-decay 0,1,4 --summary
run gradcli plot "(x-2)**2+(y-1)**2" --from -1.5,2.5 --weight-decay 0,1,4 --steps 100 --range x=-2:3,y=-1:3 --title "(x−2)² + (y−1)², gd: weight decay pulls the end toward (0, 0)" --dpi "$DPI" -o "$FIGURES/weight-decay.png"
echo '# noisy gradients (SGD) wander around the minimum; a decaying lr shrinks the wandering'
run gradcli plot "x**2+10*y**2" --from -2.5,1.5 --lr 0.04 --noise 0,3 --seed 2 --steps 150 --range x=-3:1.5,y=-1.7:1.7 --title "x² + 10y²:  exact gradients (GD) vs noisy ones (SGD), lr = 0.04" --dpi "$DPI" -o "$FIGURES/noise.png"
run gradcli descend "x**2+y**2" --from 3,1 --noise 0.5 --seed 1 --steps 500 --schedule constant --schedule exp:0.99 --summary

lesson "11. Constraints: at an optimum on g = c, ∇f is parallel to ∇g (Lagrange multipliers)"
run gradcli critical "x + y" --subject-to "x^2 + y^2 = 1"
echo '# the level curve of f through each optimum touches the constraint there: ∇f = λ∇g'
run gradcli plot "x^2 - y^2" --subject-to "x^2 + y^2 = 1" --from 0.9,0.5 --from -0.3,-0.9 --lr 0.05 --dpi "$DPI" -o "$FIGURES/lagrange.png"
run gradcli plot "x^2 - y^2" --subject-to "x^2 + y^2 = 1" --from 0.9,0.5 --from -0.3,-0.9 --lr 0.05 --size 16x9 --dpi "$DPI" -o "$FIGURES/lagrange-16x9.png"
echo '# projected gradient descent stays on the circle and ends where the multiplier rule says'
run gradcli descend "x + y" --subject-to "x^2 + y^2 = 1" --from 1,0 --summary

lesson "12. Pipelines"
echo '# descent CSV into another tool: the step where f first drops below 1e-6'
gradcli descend "x**2+y**2" --from 3,1 --format csv |
    awk -F, 'NR > 1 && $7 < 1e-6 { print "step", $4, "f =", $7; exit }'
echo "# jq over JSON: each run's method, learning rate and status"
gradcli descend "x**2+10*y**2" --from 1,1 --lr 0.01 --lr 0.05 --lr 0.11 --summary --format json |
    jq -r '.runs[] | "\(.method) lr=\(.lr): \(.status) after \(.iterations) steps"'
echo '# many starts from a file: where does each start on Himmelblau end up?'
starts=$(mktemp)
printf '0,0\n-1,1\n-1,-1\n1,-1\n' > "$starts"
gradcli descend @himmelblau --from - --lr 0.01 --steps 2000 --summary --format csv < "$starts" |
    cut -d, -f1,5,6 | column -t -s,
rm -f "$starts"
echo '# or generated starts: 200 drawn in the window (--seed repeats them), counted by the minimum they reach'
gradcli descend @himmelblau --starts 200 --seed 1 --lr 0.01 --summary --format csv |
    awk -F, 'NR > 1 { printf "%s at (%.2f, %.2f)\n", $14, $5, $6 }' | sort | uniq -c | sort -rn
run gradcli plot @himmelblau --starts 40 --seed 1 --lr 0.01 --dpi "$DPI" -o "$FIGURES/basins.png"

printf '\nfigures written to %s\n' "$FIGURES"
