// Balanced clustering of embeddings: exact hierarchical 2-means, its sampled approximation,
// flat balanced k-means, and the quality measure used to compare them.
export { balanced2Means, targetClusterCount } from './balanced2means';
export type { Balanced2MeansOptions, Clustering, HierarchicalClustering } from './balanced2means';
export { approxBalanced2Means } from './approx';
export type { ApproxBalanced2MeansOptions } from './approx';
export { balancedKMeans, capacityAssign } from './kmeans';
export type { BalancedKMeansOptions, KMeansResult } from './kmeans';
export { meanCentroidSimilarity, purity } from './quality';
