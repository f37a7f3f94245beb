# bars.gp - one horizontal bar chart of benchmark results, as SVG.
#
# filters/bench.lua runs it once per unit of measure, with variables set
# on the command line (gnuplot -e "..." bars.gp):
#   datafile   tab-separated rows: label, value, colour (0xRRGGBB)
#   outfile    the SVG to write
#   xlabel_    what the values are ("ns per operation; shorter is faster")
#   nrows      how many rows (sets the height)
#   logx       1 for a logarithmic axis (values far apart), else 0
#   xmin, xmax the axis range
#   kilo       1 to write the axis's large numbers as 50k, 100k (values
#              in the tens of thousands and more, on a linear axis)
set terminal svg size 760, (90 + 34 * nrows) font "DejaVu Sans,12" noenhanced background rgb "white"
set output outfile
set datafile separator "\t"

unset key
set border 3 lc rgb "#555555"
set tics nomirror textcolor rgb "#222222"
set ytics scale 0
set grid xtics lc rgb "#dddddd" lt 1
set xlabel xlabel_ textcolor rgb "#222222"
set yrange [nrows - 0.4 : -0.6]
set xrange [xmin : xmax]
set lmargin 34
set rmargin 9
if (logx) { set logscale x 10 }
if (exists("kilo") && kilo) { set format x "%.0s%c" }
set style fill solid 0.9 border rgb "#333333"

plot datafile using (xmin):0:(xmin):2:($0 - 0.34):($0 + 0.34):3:ytic(1) \
         with boxxyerror lc rgb variable, \
     '' using 2:0:(sprintf(" %g", $2)) with labels left textcolor rgb "#222222"
