set encoding utf8
set termoption noenhanced
set title "file: simple-meas-tran.sp"
set xlabel "s"
set ylabel "A"
set grid
unset logscale x 
set xrange [0.000000e+00:5.000000e-03]
unset logscale y 
set yrange [-1.099830e-05:1.099830e-05]
#set xtics 1
#set x2tics 1
#set ytics 1
#set y2tics 1
set format y "%g"
set format x "%g"
plot 'ttt.data' using 1:2 with lines lw 1 title "i(vac1)"
