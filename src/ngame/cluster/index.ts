// Balanced clustering of embeddings: exact hierarchical 2-means, its sampled approximation,
// flat balanced k-means, the quality measure used to compare them, and the choice between the
// exact and the sampled method by size (choose.ts).
export { balanced2Means, targetClusterCount } from './balanced2means';
export type { Balanced2MeansOptions, Clustering, HierarchicalClustering } from './balanced2means';
export { approxBalanced2Means } from './approx';
export type { ApproxBalanced2MeansOptions } from './approx';
export { balancedKMeans, capacityAssign } from './kmeans';
export type { BalancedKMeansOptions, KMeansResult } from './kmeans';
export { meanCentroidSimilarity, purity } from './quality';
export { EXACT_CLUSTERING, SAMPLE_SHARE, checkClusteringChoice, clusterPoints, clusteringMethod } from './choose';
export type { ClusteringChoice, ClusteringReport } from './choose';
