// make-datasets: seeded synthetic training sets in braai's .npy layout (see Datasets/SYNTHETIC.md).
//   swift run -c release make-datasets triplets --count 20000 --seed 1 --out Datasets/synthetic
//   swift run -c release make-datasets streaks --count 10000 --seed 1 --out Datasets/synthetic
MakeDatasets.main()
